/*
 * cli_home.c - "offsetgw init" and "offsetgw partner add|list|disable|enable"
 * (the partners' keys are cli_serve.c's).
 *
 * Owns the command-line side of a gateway home: creating it (folders, the
 * registry, with --demo the demo partners) and managing partners.  Paths
 * are home.c's, records the store's.
 */
#include <errno.h>
#include <pwd.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/audit.h"
#include "offsetgw/vault.h"
#include "offsetgw/cycle.h"
#include "offsetgw/home.h"
#include "offsetgw/keys.h"
#include "offsetgw/tlscert.h"
#include "offsetgw/transfer.h"
#include "offsetgw/store.h"

/* The demo partners of "init --demo": one of each kind. */
static const struct {
    const char *name;
    enum partner_kind kind;
    const char *program;
    const char *agency_code;
} demo_partners[] = {
    {"demo-agency", PARTNER_AGENCY, "caltrecs", "DEMO1"},
    /* for a tax board or treasury, the code is the gateway's own id in
     * that partner's files (the sender id) */
    {"demo-taxboard", PARTNER_TAXBOARD, "caltrecs", "DEMO1"},
    {"demo-treasury", PARTNER_TREASURY, "top", "DEMOTOP1"},
    {"demo-payer", PARTNER_PAYER, "kansas", ""},
};

const char *cli_home_dir(const char *given)
{
    if (given != NULL)
        return given;
    const char *env = getenv("OFFSETGW_HOME");
    return env != NULL && *env != '\0' ? env : NULL;
}

int cli_home_open(const char *cmd, const char *dir, struct home *h,
                  struct store **s)
{
    char err[512];
    if (dir == NULL)
        return cli_usage_error(cmd, "--home DIR is required (or set "
                                    "OFFSETGW_HOME)");
    if (home_init(h, dir) < 0) {
        cli_error(cmd, "home path too long: %s", dir);
        return CLI_EXIT_ERROR;
    }
    if (access(h->db, F_OK) != 0) {
        cli_error(cmd,
                  "'%s' is not a gateway home (no %s): run 'offsetgw "
                  "init --home %s' first",
                  dir, h->db, dir);
        return CLI_EXIT_ERROR;
    }
    /* held, shared, until the command exits: `keys rotate` (which takes it
     * alone) must not retire a master key this command still writes with,
     * and does not start meanwhile; nor does this command during one */
    int lock = vault_lock(h, false);
    if (lock < 0) {
        cli_error(cmd, "%s",
                  lock == -EWOULDBLOCK
                      ? "a master key rotation is running on this home: "
                        "try again when it is done"
                      : strerror(-lock));
        return CLI_EXIT_ERROR;
    }
    if (home_open_store(h, s, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        close(lock);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

/* Add partner P to S and make its folders; an existing one is left as it
 * is when EXISTING_OK. */
static int add_partner(const char *cmd, const struct home *h, struct store *s,
                       const struct store_partner *p, bool existing_ok)
{
    char err[512];
    int rc = store_partner_add(s, p, NULL);
    if (rc == -EEXIST && existing_ok)
        rc = 0;
    if (rc < 0) {
        cli_error(cmd, "%s", store_error(s));
        return rc == -EEXIST ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
    }
    if (home_create_partner(h, p->name, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

static void init_usage(FILE *out)
{
    fputs("usage: offsetgw init --home DIR [--demo] [--plain-spool]\n"
          "\n"
          "Create a gateway home in DIR: its folders, the registry\n"
          "(DIR/var/offsetgw.db), the spool and the SSH host key\n"
          "(DIR/keys/ssh_host_ed25519_key, whose fingerprint is printed)\n"
          "and the admin console's self-signed TLS pair (DIR/keys/\n"
          "console.crt and console.key; a site's own pair is kept).\n"
          "Running it again on an existing home changes nothing that is\n"
          "there.\n"
          "\n"
          "options:\n"
          "  -H, --home DIR  the home (default: $OFFSETGW_HOME)\n"
          "  -d, --demo      also add the demo partners demo-agency\n"
          "                  (caltrecs), demo-taxboard (caltrecs),\n"
          "                  demo-treasury (top), demo-payer (kansas),\n"
          "                  each with a key pair in DIR/demo-keys/\n"
          "      --plain-spool  write spool files plain from now on\n"
          "                  (keys/spool.plain), for a spool on an\n"
          "                  encrypted volume or tests that compare\n"
          "                  its files; the registry's SSNs stay sealed\n"
          "  -h, --help      show this help\n",
          out);
}

void cli_audit(const struct home *h, struct store *s, const char *action,
               const char *subject, const char *detail)
{
    struct audit_key k;
    struct passwd *pw = getpwuid(getuid());
    char actor[64], err[256];
    snprintf(actor, sizeof(actor), "cli:%s", pw ? pw->pw_name : "?");
    if (audit_key_load(h, true, &k, err, sizeof(err)) < 0 ||
        audit_append(h, s, &k, actor, action, subject, detail, err,
                     sizeof(err)) < 0)
        cli_error("audit", "not recorded (%s %s): %s", action, subject, err);
}

/* A demo partner's key pair at HOME/demo-keys/NAME, listed for it (once:
 * a pair already there is listed as it is). */
static int demo_key(const char *cmd, const struct home *h, struct store *s,
                    const struct store_partner *p)
{
    char dir[HOME_PATH_MAX], path[HOME_PATH_MAX + 64], line[4096], err[256];
    struct keys_public k;
    struct store_partner got;
    snprintf(dir, sizeof(dir), "%s/demo-keys", h->root);
    snprintf(path, sizeof(path), "%s/%s.pub", dir, p->name);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        cli_error(cmd, "%s: %s", dir, strerror(errno));
        return CLI_EXIT_ERROR;
    }
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        int ok = fgets(line, sizeof(line), f) != NULL &&
                 keys_parse_public(line, &k, err, sizeof(err)) == 0;
        fclose(f);
        if (!ok) {
            cli_error(cmd, "%s: not a public key", path);
            return CLI_EXIT_ERROR;
        }
    } else {
        path[strlen(path) - 4] = '\0'; /* the private key's */
        if (keys_make_pair(path, p->name, &k, err, sizeof(err)) < 0) {
            cli_error(cmd, "%s", err);
            return CLI_EXIT_ERROR;
        }
    }
    if (store_partner_get(s, p->name, &got) < 0) {
        cli_error(cmd, "%s", store_error(s));
        return CLI_EXIT_ERROR;
    }
    int rc = transfer_key_add(s, got.id, &k);
    if (rc < 0 && rc != -EEXIST) {
        cli_error(cmd, "%s", store_error(s));
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

int cli_init_run(int argc, char **argv)
{
    static const char cmd[] = "init";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"demo", no_argument, NULL, 'd'},
        {"plain-spool", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    bool demo = false, plain = false;
    struct home h;
    struct store *s = NULL;
    char err[512];
    int c, status = CLI_EXIT_OK;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:dh", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'd':
            demo = true;
            break;
        case 'P':
            plain = true;
            break;
        case 'h':
            init_usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if ((dir = cli_home_dir(dir)) == NULL)
        return cli_usage_error(cmd, "--home DIR is required (or set "
                                    "OFFSETGW_HOME)");
    if (home_init(&h, dir) < 0) {
        cli_error(cmd, "home path too long: %s", dir);
        return CLI_EXIT_ERROR;
    }
    if (home_create(&h, err, sizeof(err)) < 0 ||
        home_open_store(&h, &s, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_ERROR;
    }
    char host_key[HOME_PATH_MAX], fp[KEYS_FP_MAX];
    bool created;
    struct audit_key audit;
    if (keys_host_path(h.keys, host_key, sizeof(host_key)) < 0 ||
        keys_host_ensure(host_key, &created, fp, err, sizeof(err)) < 0) {
        cli_error(cmd, "host key: %s", err);
        status = CLI_EXIT_ERROR;
        goto out;
    }
    if (audit_key_load(&h, true, &audit, err, sizeof(err)) < 0) {
        cli_error(cmd, "audit key: %s", err);
        status = CLI_EXIT_ERROR;
        goto out;
    }
    struct aead_key master;
    if (home_master_key(&h, true, &master, err, sizeof(err)) < 0) {
        cli_error(cmd, "master key: %s", err);
        status = CLI_EXIT_ERROR;
        goto out;
    }
    aead_key_wipe(&master);
    if (plain && home_spool_plain(&h) == 0) {
        if (home_set_spool_plain(&h, err, sizeof(err)) < 0) {
            cli_error(cmd, "%s", err);
            status = CLI_EXIT_ERROR;
            goto out;
        }
        cli_audit(&h, s, "spool-plain", "keys/spool.plain",
                  "new spool files are written plain");
    }
    char tls_fp[TLSCERT_FP_MAX];
    bool tls_created;
    if (tlscert_ensure(h.keys, &tls_created, tls_fp, sizeof(tls_fp), err,
                       sizeof(err)) < 0) {
        cli_error(cmd, "console certificate: %s", err);
        status = CLI_EXIT_ERROR;
        goto out;
    }
    for (size_t i = 0;
         demo && i < sizeof(demo_partners) / sizeof(*demo_partners); i++) {
        struct store_partner p = {.kind = demo_partners[i].kind,
                                  .enabled = true};
        snprintf(p.name, sizeof(p.name), "%s", demo_partners[i].name);
        snprintf(p.program, sizeof(p.program), "%s", demo_partners[i].program);
        snprintf(p.agency_code, sizeof(p.agency_code), "%s",
                 demo_partners[i].agency_code);
        if ((status = add_partner(cmd, &h, s, &p, true)) != CLI_EXIT_OK ||
            (status = demo_key(cmd, &h, s, &p)) != CLI_EXIT_OK)
            goto out;
    }
    printf("home:     %s\nregistry: %s (schema %d)\nspool:    %s (%s)\n",
           h.root, h.db, store_schema_version(s), h.spool,
           home_spool_plain(&h) == 0 ? "encrypted at rest" : "plain");
    printf("host key: %s%s\n          %s\n", fp, created ? " (new)" : "",
           host_key);
    printf("console:  %s%s\n          %s/console.crt\n", tls_fp,
           tls_created ? " (new, self-signed)" : "", h.keys);
    if (demo)
        printf("partners: demo-agency, demo-taxboard, demo-treasury, "
               "demo-payer\n"
               "keys:     %s/demo-keys/<partner> (sftp -i ... -P 2222 "
               "<partner>@127.0.0.1)\n",
               h.root);
    status = cli_close_stdout(CLI_EXIT_OK);
out:
    store_close(s);
    return status;
}

/* --- partner ------------------------------------------------------------ */

static int cmd_add(int argc, char **argv);
static int cmd_list(int argc, char **argv);
static int cmd_disable(int argc, char **argv);
static int cmd_enable(int argc, char **argv);
static int cmd_schedule(int argc, char **argv);
static int cmd_retention(int argc, char **argv);

static const struct cli_command partner_commands[] = {
    {"add", cmd_add, "add a partner: agency, taxboard, treasury or payer"},
    {"list", cmd_list, "list the partners"},
    {"disable", cmd_disable, "stop a partner from logging in and sending"},
    {"enable", cmd_enable, "let a disabled partner in again"},
    {"key", cli_partner_key_run, "add, remove and list a partner's SSH keys"},
    {"schedule", cmd_schedule, "set a tax board's or treasury's daily cycle"},
    {"retention", cmd_retention, "how long a partner's files are kept"},
    {NULL, NULL, NULL},
};

int cli_partner_run(int argc, char **argv)
{
    return cli_group_run("partner", partner_commands, argc, argv);
}

static void add_usage(FILE *out)
{
    fputs("usage: offsetgw partner add --home DIR --kind KIND --program "
          "PROGRAM\n"
          "                            [--agency-code CODE] NAME\n"
          "\n"
          "Add partner NAME (1-32 of a-z, 0-9, - and _) and its inbox and\n"
          "outbox.  KIND is agency, taxboard, treasury or payer; PROGRAM\n"
          "names its program profile (caltrecs, kansas, utah, top).\n"
          "CODE is the agency code its files carry (agencies).\n",
          out);
}

static int cmd_add(int argc, char **argv)
{
    static const char cmd[] = "partner add";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"kind", required_argument, NULL, 'k'},
        {"program", required_argument, NULL, 'p'},
        {"agency-code", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *kind = NULL, *program = NULL, *code = "";
    struct home h;
    struct store *s = NULL;
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:k:p:a:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'k':
            kind = optarg;
            break;
        case 'p':
            program = optarg;
            break;
        case 'a':
            code = optarg;
            break;
        case 'h':
            add_usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(cmd, "give one partner NAME");
    const char *name = argv[optind];
    if (kind == NULL || partner_kind_from_name(kind) < 0)
        return cli_usage_error(cmd, "--kind is agency, taxboard, treasury "
                                    "or payer");
    char profile[HOME_PATH_MAX];
    if (program == NULL || !home_partner_name_ok(program))
        return cli_usage_error(cmd, "--program names a program profile");
    snprintf(profile, sizeof(profile), "%s/programs/%s.xml", cli_formats_dir(),
             program);
    if (access(profile, R_OK) != 0)
        return cli_usage_error(cmd, "no program '%s' (no %s)", program,
                               profile);
    if (!home_partner_name_ok(name))
        return cli_usage_error(cmd,
                               "'%s' cannot be a partner name: use 1-32 "
                               "of a-z, 0-9, - and _",
                               name);
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    struct store_partner p = {
        .kind = (enum partner_kind)partner_kind_from_name(kind),
        .enabled = true};
    snprintf(p.name, sizeof(p.name), "%s", name);
    snprintf(p.program, sizeof(p.program), "%s", program);
    snprintf(p.agency_code, sizeof(p.agency_code), "%s", code);
    status = add_partner(cmd, &h, s, &p, false);
    if (status == CLI_EXIT_OK) {
        printf("partner %s added (%s, %s)\n", name, kind, program);
        cli_audit(&h, s, "partner-add", name, kind);
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int print_partner(const struct store_partner *p, void *ctx)
{
    (void)ctx;
    printf("%-24s %-9s %-9s %-10s %s%s%s%s\n", p->name,
           partner_kind_name(p->kind), p->program,
           p->agency_code[0] ? p->agency_code : "-",
           p->enabled ? "enabled" : "disabled",
           p->cycle_daily[0] ? "  cycle daily at " : "", p->cycle_daily,
           p->cycle_daily[0] ? " UTC" : "");
    return 0;
}

/* Parse the common "--home DIR [NAME]" of list/disable/enable.  *NAME is
 * NULL when WANT_NAME is false. */
static int home_and_name(const char *cmd, int argc, char **argv, bool want_name,
                         const char **dir, const char **name)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    *dir = NULL;
    *name = NULL;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            *dir = optarg;
            break;
        case 'h':
            printf("usage: offsetgw %s --home DIR%s\n", cmd,
                   want_name ? " NAME" : "");
            return -1;
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (want_name && optind + 1 == argc)
        *name = argv[optind];
    else if (want_name || optind != argc)
        return cli_usage_error(cmd, want_name ? "give one partner NAME"
                                              : "unexpected argument");
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    static const char cmd[] = "partner list";
    const char *dir, *name;
    struct home h;
    struct store *s = NULL;
    int status = home_and_name(cmd, argc, argv, false, &dir, &name);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    printf("%-24s %-9s %-9s %-10s %s\n", "name", "kind", "program", "code",
           "state");
    if (store_partner_each(s, print_partner, NULL) < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int set_enabled(const char *cmd, int argc, char **argv, bool enabled)
{
    const char *dir, *name;
    struct home h;
    struct store *s = NULL;
    int status = home_and_name(cmd, argc, argv, true, &dir, &name);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    int rc = store_partner_set_enabled(s, name, enabled);
    if (rc < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = rc == -ENOENT ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
    } else {
        printf("partner %s %s\n", name, enabled ? "enabled" : "disabled");
        cli_audit(&h, s, enabled ? "partner-enable" : "partner-disable", name,
                  "");
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int cmd_disable(int argc, char **argv)
{
    return set_enabled("partner disable", argc, argv, false);
}

static int cmd_enable(int argc, char **argv)
{
    return set_enabled("partner enable", argc, argv, true);
}

static int cmd_schedule(int argc, char **argv)
{
    static const char cmd[] = "partner schedule";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"daily", required_argument, NULL, 'd'},
        {"off", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *daily = NULL;
    bool off = false;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:d:oh", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'd':
            daily = optarg;
            break;
        case 'o':
            off = true;
            break;
        case 'h':
            puts("usage: offsetgw partner schedule --home DIR NAME "
                 "--daily HH:MM | --off\n\n"
                 "Run the cycle to tax board or treasury NAME every day at\n"
                 "HH:MM UTC, from 'offsetgw serve' (its worker checks every\n"
                 "ten seconds; a gateway down at that time runs it when it is\n"
                 "back the same day), or no more (--off).  'offsetgw cycle'\n"
                 "runs one by hand whenever.");
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind + 1 != argc || (daily == NULL) == !off)
        return cli_usage_error(cmd, "give NAME and --daily HH:MM or --off");
    if (daily != NULL && !cycle_daily_ok(daily))
        return cli_usage_error(cmd, "--daily takes HH:MM, 00:00 to 23:59");
    struct home h;
    struct store *s = NULL;
    struct store_partner p;
    int status = cli_home_open(cmd, cli_home_dir(dir), &h, &s);
    if (status != 0)
        return status;
    if (store_partner_get(s, argv[optind], &p) < 0) {
        cli_error(cmd, "no partner '%s'", argv[optind]);
        status = CLI_EXIT_INPUT;
    } else if (p.kind != PARTNER_TAXBOARD && p.kind != PARTNER_TREASURY) {
        cli_error(cmd, "%s is a %s: cycles go to a taxboard or a treasury",
                  p.name, partner_kind_name(p.kind));
        status = CLI_EXIT_INPUT;
    } else if (store_partner_set_schedule(s, p.name, off ? "" : daily) < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    } else {
        if (off)
            printf("%s: no scheduled cycle\n", p.name);
        else
            printf("%s: cycle daily at %s UTC\n", p.name, daily);
        cli_audit(&h, s, "partner-schedule", p.name, off ? "off" : daily);
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int cmd_retention(int argc, char **argv)
{
    static const char cmd[] = "partner retention";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"days", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    long days = -1;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:d:h", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'd':
            days = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || days < 0 || days > 36500)
                return cli_usage_error(cmd, "--days takes 0 to 36500");
            break;
        case 'h':
            puts("usage: offsetgw partner retention --home DIR NAME --days "
                 "N\n\n"
                 "Keep partner NAME's outbox files and received uploads N\n"
                 "days (by modification time), then 'offsetgw purge' (and\n"
                 "serve's worker, daily) removes them, each audited.  0 keeps\n"
                 "them always (the default).  The registry's records of them\n"
                 "are never purged.");
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind + 1 != argc || days < 0)
        return cli_usage_error(cmd, "give NAME and --days N");
    struct home h;
    struct store *s = NULL;
    char detail[32];
    int status = cli_home_open(cmd, cli_home_dir(dir), &h, &s);
    if (status != 0)
        return status;
    int rc = store_partner_set_retention(s, argv[optind], (int32_t)days);
    if (rc < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = rc == -ENOENT ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
    } else {
        if (days == 0)
            printf("%s: files kept always\n", argv[optind]);
        else
            printf("%s: files kept %ld days\n", argv[optind], days);
        snprintf(detail, sizeof(detail), "%ld days", days);
        cli_audit(&h, s, "partner-retention", argv[optind], detail);
    }
    store_close(s);
    return cli_close_stdout(status);
}
