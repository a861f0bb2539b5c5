// tests/e2e/browser/browser.mjs - the admin console in Debian's chromium
// (playwright-core): log in through the form, the dashboard and the
// file's page show the file uploaded over SFTP, the style sheet applies
// under the CSP, no CSP violation or script error in the console, log
// out.  Screenshots into SHOTS.  One "ok NAME" or "FAIL NAME" line per
// check; exit 1 when any failed.
//
// node browser.mjs URL NAME PASSWORD FILE_NAME SHA256 SHOTS
import { chromium } from 'playwright-core';

const [url, name, password, fileName, sha, shots] = process.argv.slice(2);
let failed = 0;
const check = (what, ok, detail = '') => {
  console.log(`${ok ? 'ok' : 'FAIL'} ${what}${ok || !detail ? '' : `: ${detail}`}`);
  if (!ok) failed++;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text()))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${url}/`);
  check('without a session the browser lands on /login',
        page.url() === `${url}/login`, page.url());
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
  check('the login form leads to the dashboard',
        (await page.textContent('h1')) === 'Dashboard');
  const cookies = await context.cookies();
  const sid = cookies.find((c) => c.name === '__Host-ogsid');
  check('the session cookie is Secure, HttpOnly, SameSite=Strict',
        sid && sid.secure && sid.httpOnly && sid.sameSite === 'Strict',
        JSON.stringify(sid));
  const body = await page.textContent('body');
  check('the dashboard shows the uploaded file', body.includes(fileName));
  check('two charts drawn', (await page.locator('svg.chart').count()) === 2);
  const headerBg = await page.evaluate(
    () => getComputedStyle(document.querySelector('header')).backgroundColor);
  check('the style sheet applies under the CSP', headerBg === 'rgb(29, 53, 87)',
        headerBg);
  await page.screenshot({ path: `${shots}/console-dashboard.png`, fullPage: true });

  await Promise.all([page.waitForURL(/\/files\/\d+$/),
                     page.click(`a:text-is("${fileName}")`)]);
  check('the file page names it', (await page.textContent('dd.name')) === fileName);
  check('the file page shows its SHA-256',
        (await page.textContent('#sha256')).trim() === sha);
  check('the file page lists its outputs',
        (await page.locator('table tbody tr').count()) >= 1);
  await page.screenshot({ path: `${shots}/console-file.png`, fullPage: true });

  await page.goto(`${url}/partners`);
  check('the partners page has enable/disable forms',
        (await page.locator('form[action^="/partners/"] button').count()) >= 4);
  await Promise.all([page.waitForURL(`${url}/login`),
                     page.click('header button[type=submit]')]);
  check('log out leads back to /login', page.url() === `${url}/login`);
  await page.goto(`${url}/`);
  check('after logout the dashboard asks for a login again',
        page.url() === `${url}/login`);
  check('no CSP violation or script error in the console',
        problems.length === 0, problems.join(' | '));
} catch (e) {
  check('the browser run', false, String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
