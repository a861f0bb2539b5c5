#!/usr/bin/env bash
# tests/cli/report.sh - "offsetgw report crt" through the real binary: a
# month of the demo loop (an agency's debts in, the tax board's answers
# in), its metrics as a table and as JSON, the JSON's shape (with jq,
# when there is one), its money against the month's reconciliation,
# both ways of giving a cost, a month with no cases, and the usage
# errors.  The numbers themselves are worked by hand in test_crt.c.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-report-XXXXXX)
trap 'rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
passed=0 failed=0
check() { # NAME, then a command that must succeed
    local name=$1
    shift
    if "$@" >"$dir/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"
        sed 's/^/    /' "$dir/out" | head -20
    fi
}
status_is() { # WANT, then a command
    local want=$1 rc=0
    shift
    "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq "$want" ]
}

home=$dir/gw
spool=$home/var/spool
# these read the spool's files directly: a plain spool (encryption at
# rest is tests/e2e/atrest.sh's; the registry's SSNs are sealed all the
# same)
check "a demo home" $OG init --home "$home" --demo --plain-spool
check "an agency file" $OG synth --program caltrecs --records 40 \
    --bad-share 0.1 --seed 7 --agency-code DEMO1 --output "$dir/debts.txt"
$OG ingest --home "$home" --partner demo-agency "$dir/debts.txt" >/dev/null
check "the cycle to the tax board" $OG cycle --home "$home" --to demo-taxboard
sent=$(ls "$spool"/demo-taxboard/outbox/taxboard-debt.*.txt)
check "the tax board's answers" $OG synth replies --program caltrecs \
    --sent "$sent" --seed 11 --partner-code DEMO1 \
    --no-match-share 0.1 --deceased-share 0.05 --offset-share 0.6 \
    --reversal-share 0.25 --match-output "$dir/match.txt" \
    --collection-output "$dir/coll.txt"
check "the match file is taken" $OG ingest --home "$home" \
    --partner demo-taxboard "$dir/match.txt"
check "the collection file is taken" $OG ingest --home "$home" \
    --partner demo-taxboard "$dir/coll.txt"
check "the month's reconciliation" $OG reconcile --home "$home" \
    --period 2026-11
recon=$(ls "$spool"/demo-agency/outbox/reconciliation.*.csv)

crt() { $OG report crt --home "$home" --agency demo-agency "$@"; }

# the table
check "the table" crt --period 2026-11
crt --period 2026-11 >"$dir/table" 2>&1
for row in "cases" "collector effective index" "first-year resolution rate" \
    "spend efficiency score" "cost to referral ratio" "adjustment score" \
    "discharge score"; do
    check "the table has a row '$row'" grep -q "^$row  " "$dir/table"
done
check "without a cost, SES is n/a" \
    grep -Eq '^spend efficiency score +n/a +n/a +n/a$' "$dir/table"
check "  and the notes say why" grep -q 'no cost of collections' "$dir/table"
check "  and that the first year is not over" \
    grep -q 'the year to 2027-10-31 is not over' "$dir/table"
check "a report changes no file" \
    diff <(ls -R "$spool") <(crt --period 2026-11 >/dev/null; ls -R "$spool")

# the JSON, against the reconciliation
crt --period 2026-11 --json >"$dir/none.json"
crt --period 2026-11 --json --cost-per-case 3500 >"$dir/rate.json"
crt --period 2026-11 --json --cost 100001 >"$dir/total.json"
crt --period 2026-10 --json >"$dir/empty.json"
crt --period 2026-10..2026-11 --json >"$dir/range.json"
sum() { # CSV column N (dollars) summed, in cents
    awk -F, -v n="$1" 'NR > 1 { s += $n * 100 } END { printf "%.0f", s }' \
        "$recon"
}
debts=$(($(wc -l <"$recon") - 1))
if command -v jq >/dev/null; then
    j() { # FILE, then a jq expression that must be true
        jq -e "$2" "$1" >/dev/null
    }
    for f in none rate total empty range; do
        check "$f.json is JSON" jq -e . "$dir/$f.json"
    done
    check "the shape: top-level keys" j "$dir/none.json" \
        '(keys | sort) == (["agency", "cases", "cost", "first_year",
          "metrics", "not_available", "notes", "period", "report"])'
    check "the shape: three ages of cases, numbers all" j "$dir/none.json" \
        '(.cases | keys | sort) == ["combined", "current", "prior"] and
         ([.cases[] | .cases, .cases_paid, .opening_cents, .gross_cents,
           .adjustments_cents, .discharges_cents, .closing_cents] |
          all(type == "number"))'
    check "the shape: six metrics, FYR current only, scores combined" \
        j "$dir/rate.json" \
        '(.metrics | keys | sort) == (["adjustment_score_bp", "cei_bp",
           "cost_per_case_cents", "discharge_score_bp", "fyr_bp",
           "ses_bp"]) and (.metrics.fyr_bp | keys) == ["current"] and
         (.metrics.adjustment_score_bp | keys) == ["combined"]'
    check "the period's instants" j "$dir/none.json" \
        '.period.from_at == "2026-11-01T00:00:00Z" and
         .period.to_at == "2026-12-01T00:00:00Z" and .period.over == false'
    check "every debt of the reconciliation is a current case ($debts)" \
        j "$dir/none.json" ".cases.current.cases == $debts and
         .cases.prior.cases == 0"
    check "gross = the reconciliation's collections - reversals" \
        j "$dir/none.json" \
        ".cases.combined.gross_cents == $(sum 7) - $(sum 8) and
         .cases.combined.reversals_cents == $(sum 8)"
    check "closing = the reconciliation's" j "$dir/none.json" \
        ".cases.combined.closing_cents == $(sum 12)"
    check "CEI is cases paid / cases, in basis points" j "$dir/none.json" \
        '.metrics.cei_bp.current ==
         ((.cases.current.cases_paid * 10000 / .cases.current.cases) +
          0.5 | floor)'
    check "no cost: SES and cost per case null, cost null, and why" \
        j "$dir/none.json" \
        '.metrics.ses_bp.combined == null and
         .metrics.cost_per_case_cents.combined == null and
         .cases.combined.cost_cents == null and .cost == "none" and
         ([.not_available[] | select(.why == "no-cost")] | length) == 6'
    check "a rate per case: the cost is cases x 35.00" j "$dir/rate.json" \
        ".cost == \"per-case\" and
         .cases.combined.cost_cents == $debts * 3500 and
         .metrics.cost_per_case_cents.current == 3500 and
         .metrics.ses_bp.current ==
         ((.cases.current.cost_cents * 10000 / .cases.current.gross_cents) +
          0.5 | floor)"
    check "a total: all of it on the current cases" j "$dir/total.json" \
        '.cost == "total" and .cases.current.cost_cents == 100001 and
         .cases.prior.cost_cents == 0'
    check "a month with no cases: zeros, and n/a for no cases" \
        j "$dir/empty.json" \
        '.cases.combined.cases == 0 and .metrics.cei_bp.combined == null and
         .metrics.fyr_bp.current == null and
         ([.not_available[] | select(.metric == "cei_bp")] | map(.why)) ==
         ["no-cases", "no-cases", "no-cases"]'
    check "October and November: November's cases" j "$dir/range.json" \
        ".cases.current.cases == $debts and
         .period.from_at == \"2026-10-01T00:00:00Z\" and
         .first_year.end == \"2027-10-01\""
else
    echo "# report.sh: no jq: the JSON's shape is not checked"
fi

# the command line
check "help" $OG help report crt
check "both costs are a usage error (2)" \
    status_is 2 crt --period 2026-11 --cost 1 --cost-per-case 1
check "a cost in dollars is a usage error (2)" \
    status_is 2 crt --period 2026-11 --cost 35.00
check "a period that is no period is a usage error (2)" \
    status_is 2 crt --period 2026-13
check "a period ending before it starts is a usage error (2)" \
    status_is 2 crt --period 2026-11..2026-10
check "no --period is a usage error (2)" status_is 2 crt
check "no such agency is an error (2)" status_is 2 $OG report crt \
    --home "$home" --agency nobody --period 2026-11
check "a tax board is no agency (2)" status_is 2 $OG report crt \
    --home "$home" --agency demo-taxboard --period 2026-11
check "an unknown report is a usage error (2)" \
    status_is 2 $OG report nothing

echo "# report.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
