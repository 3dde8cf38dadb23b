#!/usr/bin/env bash
# One export licence from application to customs release, over the HTTP API with curl,
# exactly as in the README walk-through. Usage:
#   scripts/walkthrough.sh [DATABASE_URL]     (default: a fresh SQLite file)
# Needs curl and jq. Fails (non-zero) when any step does not answer as described.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FENTGUARD_BIN:-target/release/fentguard}
port=${PORT:-18090}
tmp=$(mktemp -d)
db=${1:-"sqlite://$tmp/walkthrough.db"}
api="http://127.0.0.1:$port/api/v1"

"$bin" serve --db "$db" --listen "127.0.0.1:$port" --key "$tmp/key" 2>"$tmp/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

step() { printf '\n== %s\n' "$*"; }
check() { if ! eval "$1"; then echo "FAILED: $1" >&2; exit 1; fi; }

# --- README walk-through starts here ---
step "seed one organisation and user per role; keep their tokens"
"$bin" demo seed --db "$db" --key "$tmp/key" > "$tmp/tokens.json" 2> "$tmp/sign-in.txt"
tok() { jq -r ".$1" "$tmp/tokens.json"; }
EXPORTER=$(tok compliance_officer); OFFICER=$(tok licensing_officer)
OFFICER2=$(tok second_licensing_officer); POLICE=$(tok public_security_officer)
CUSTOMS=$(tok customs_officer); MEXICO=$(tok foreign_authority_officer)
ADMIN=$(tok administrator)

step "the exporter applies to ship 25 kg of NPP to Mexico"
guarantee=$(printf 'Importer guarantee: for pharmaceutical synthesis only.' | base64 -w0)
contract=$(printf 'Sales contract QS-2026-118' | base64 -w0)
cat > "$tmp/application.json" <<JSON
{
  "importer":  {"name": "Quimica Demo SA de CV", "address": "Av. Industria 10, Monterrey", "country": "MX"},
  "consignee": {"name": "Quimica Demo SA de CV", "address": "Planta 2, Monterrey", "country": "MX"},
  "substance": "N-phenethyl-4-piperidone", "quantity": "25 kg", "destination": "MX",
  "point_of_exit": "Shanghai", "point_of_entry": "Manzanillo", "transport_mode": "sea",
  "planned_dispatch": "$(date -u -d '+30 days' +%F)", "contract_reference": "QS-2026-118",
  "end_use": "synthesis of a licensed analgesic",
  "documents": [
    {"kind": "importer_guarantee", "filename": "guarantee.txt", "content_base64": "$guarantee"},
    {"kind": "contract", "filename": "contract.txt", "content_base64": "$contract"}
  ]
}
JSON
curl -s -H "Authorization: Bearer $EXPORTER" -H 'Content-Type: application/json' \
  --data @"$tmp/application.json" "$api/export-applications" | tee "$tmp/submitted.json" | jq '{id, state, risk: .risk.level, reasons: [.risk.reasons[].code], regimes: [.export_check.regimes[].id]}'
APP=$(jq -r .id "$tmp/submitted.json")
check '[ "$(jq -r .state "$tmp/submitted.json")" = under_review ]'

step "the licensing officer forwards it for international verification"
curl -s -X POST -H "Authorization: Bearer $OFFICER" "$api/export-applications/$APP/forward" | tee "$tmp/fwd.json" | jq '{state, notification}'
PEN=$(jq -r .notification "$tmp/fwd.json")

step "public security sends the pre-export notification to Mexico's authority"
curl -s -X POST -H "Authorization: Bearer $POLICE" "$api/notifications/$PEN/send" | jq '{state, note}'

step "Mexico's authority sees it and replies: no objection"
curl -s -H "Authorization: Bearer $MEXICO" "$api/notifications" | jq '[.[] | {id, substance, quantity_kg, reply_deadline}]'
curl -s -H "Authorization: Bearer $MEXICO" -H 'Content-Type: application/json' \
  --data '{"reply": "no_objection"}' "$api/notifications/$PEN/reply" | tee "$tmp/reply.json" | jq '{state, application_state}'
check '[ "$(jq -r .application_state "$tmp/reply.json")" = verified ]'

step "high risk: one officer proposes approval, a second confirms; the permit is issued"
curl -s -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' \
  --data '{"decision": "approve"}' "$api/export-applications/$APP/decision" | jq '{state, note}'
curl -s -H "Authorization: Bearer $OFFICER2" -H 'Content-Type: application/json' \
  --data '{"decision": "approve"}' "$api/export-applications/$APP/decision" | tee "$tmp/decision.json" | jq '{state, permit, note}'
PERMIT=$(jq -r .permit "$tmp/decision.json")
check '[ "$(jq -r .state "$tmp/decision.json")" = approved ]'

step "anyone verifies the permit, without logging in"
curl -s "$api/permits/$PERMIT/verify" | tee "$tmp/verify.json" | jq '{number, status, remaining_kg, signature_valid}'
check '[ "$(jq -r .status "$tmp/verify.json")" = valid ]'

step "customs holds a declaration that does not match the permit"
curl -s -H "Authorization: Bearer $CUSTOMS" -H 'Content-Type: application/json' \
  --data "{\"permit_number\": \"$PERMIT\", \"exporter\": \"Jiangsu Demo Fine Chemicals Co., Ltd.\", \"importer\": \"Quimica Demo SA de CV\", \"substance\": \"N-phenethyl-4-piperidone\", \"quantity_kg\": 40, \"destination\": \"US\"}" \
  "$api/customs/declarations" | tee "$tmp/held.json" | jq '{outcome, reasons}'
check '[ "$(jq -r .outcome "$tmp/held.json")" = hold ]'

step "customs releases the matching declaration and draws the permit down; exit confirmed"
curl -s -H "Authorization: Bearer $CUSTOMS" -H 'Content-Type: application/json' \
  --data "{\"permit_number\": \"$PERMIT\", \"exporter\": \"Jiangsu Demo Fine Chemicals Co., Ltd.\", \"importer\": \"Quimica Demo SA de CV\", \"substance\": \"N-phenethyl-4-piperidone\", \"quantity_kg\": 25, \"destination\": \"MX\"}" \
  "$api/customs/declarations" | tee "$tmp/released.json" | jq '{id, outcome, remaining_kg}'
check '[ "$(jq -r .outcome "$tmp/released.json")" = release ]'
curl -s -X POST -H "Authorization: Bearer $CUSTOMS" "$api/customs/declarations/$(jq -r .id "$tmp/released.json")/exit" | jq .
curl -s "$api/permits/$PERMIT/verify" | tee "$tmp/verify2.json" | jq '{status}'
check '[ "$(jq -r .status "$tmp/verify2.json")" = exhausted ]'

step "Mexico endorses 24 kg received: the difference raises an alert"
curl -s -H "Authorization: Bearer $MEXICO" -H 'Content-Type: application/json' \
  --data '{"received_kg": 24}' "$api/permits/$PERMIT/receipt" | tee "$tmp/receipt.json" | jq '{received_kg, alert: .alert.message}'
check '[ "$(jq -r .alert.kind "$tmp/receipt.json")" = receipt_difference ]'

step "the exporter reports the lot's production and shipment as EPCIS 2.0 events"
cat > "$tmp/events.jsonld" <<'JSON'
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00+08:00",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "disposition": "active",
   "eventTime": "2026-11-18T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
   "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.NPP-2611", "quantity": 25, "uom": "KGM"}],
   "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.0"}},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
   "eventTime": "2026-11-20T15:30:00+08:00", "eventTimeZoneOffset": "+08:00",
   "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.NPP-2611", "quantity": 25, "uom": "KGM"}],
   "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.0"},
   "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:6901234.00000"}],
   "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:7501234.00000"}]}
 ]}}
JSON
epcis="http://127.0.0.1:$port/epcis"
curl -s -D "$tmp/capture.headers" -H "Authorization: Bearer $EXPORTER" -H 'Content-Type: application/ld+json' \
  --data @"$tmp/events.jsonld" "$epcis/capture" | tee "$tmp/capture.json" | jq '{captureID, success}'
check 'grep -qi "^location: /epcis/capture/" "$tmp/capture.headers"'
curl -s -H "Authorization: Bearer $OFFICER" "$epcis/events?EQ_bizStep=shipping&MATCH_epcClass=urn:epc:class:lgtin:6901234.012345.NPP-2611" \
  | tee "$tmp/query.json" | jq '.epcisBody.queryResults.resultsBody.eventList[] | {eventID, bizStep, quantityList}'
check '[ "$(jq ".epcisBody.queryResults.resultsBody.eventList | length" "$tmp/query.json")" = 1 ]'

step "the same events captured again are duplicates (409), and nothing is stored twice"
code=$(curl -s -o "$tmp/dup.json" -w '%{http_code}' -H "Authorization: Bearer $EXPORTER" -H 'Content-Type: application/ld+json' \
  --data @"$tmp/events.jsonld" "$epcis/capture")
jq -r .detail "$tmp/dup.json"
check '[ "$code" = 409 ]'

step "closed loop: the exporter makes lot NPP-2612, naming its substance in the ILMD"
BUYER=$(tok buyer_officer); TRADER=$(tok trader_officer); PHARMA=$(tok manufacturer_officer)
when() { date -u -d "-$1 hours" +%FT%T.000Z; }
event_doc() { # one event in a document
  printf '{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"fg": "https://ns.fentguard.org/epcis/"}], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "%s", "epcisBody": {"eventList": [%s]}}' "$(when 0)" "$1"
}
capture() { # capture WHO EVENT -> prints the status; the answer is in $tmp/answer.json
  event_doc "$2" > "$tmp/doc.json"
  curl -s -o "$tmp/answer.json" -w '%{http_code}' -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/ld+json' --data @"$tmp/doc.json" "$epcis/capture"
}
lot='"quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.NPP-2612", "quantity": %s, "uom": "KGM"}]'
code=$(capture "$EXPORTER" "{\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"bizStep\": \"commissioning\", \"eventTime\": \"$(when 5)\", \"eventTimeZoneOffset\": \"+08:00\", \"bizLocation\": {\"id\": \"urn:epc:id:sgln:6901234.00001.0\"}, $(printf "$lot" 100), \"ilmd\": {\"fg:substance\": \"39742-60-4\"}}")
check '[ "$code" = 202 ]'

step "a sale to an enterprise without a purchase permit, and without a transport permit, is refused with the reasons"
sale() { # sale TO_PARTY KG [PERMIT]
  local bt=""; [ -n "${3:-}" ] && bt=", \"bizTransactionList\": [{\"type\": \"https://ns.fentguard.org/btt/transport_permit\", \"bizTransaction\": \"urn:fentguard:transport-permit:$3\"}]"
  echo "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"bizStep\": \"shipping\", \"eventTime\": \"$(when 4)\", \"eventTimeZoneOffset\": \"+08:00\", \"bizLocation\": {\"id\": \"urn:epc:id:sgln:6901234.00001.0\"}, $(printf "$lot" "$2"), \"sourceList\": [{\"type\": \"owning_party\", \"source\": \"urn:epc:id:pgln:6901234.00001\"}], \"destinationList\": [{\"type\": \"owning_party\", \"destination\": \"urn:epc:id:pgln:6901234.$1\"}]$bt}"
}
code=$(capture "$EXPORTER" "$(sale 00003 40)")
jq -r '.context.errors[0].breaches[] | "\(.rule): \(.reason)"' "$tmp/answer.json"
check '[ "$code" = 400 ] && jq -e ".context.errors[0].breaches | map(.rule) | index(\"CN-PC1-PURCHASE-PERMIT\")" "$tmp/answer.json" >/dev/null'

step "sold under a transport permit to the holder of a purchase permit; the buyer receives 38 of 40 kg"
code=$(capture "$EXPORTER" "$(sale 00002 40 TP-2026-0042)")
check '[ "$code" = 202 ]'
code=$(capture "$BUYER" "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"bizStep\": \"receiving\", \"eventTime\": \"$(when 3)\", \"eventTimeZoneOffset\": \"+08:00\", \"bizLocation\": {\"id\": \"urn:epc:id:sgln:6901234.00002.0\"}, $(printf "$lot" 38), \"sourceList\": [{\"type\": \"owning_party\", \"source\": \"urn:epc:id:pgln:6901234.00001\"}], \"destinationList\": [{\"type\": \"owning_party\", \"destination\": \"urn:epc:id:pgln:6901234.00002\"}]}")
jq -r '.alerts[] | "\(.kind): \(.message)"' "$tmp/answer.json"
check '[ "$code" = 202 ] && [ "$(jq -r ".alerts[0].kind" "$tmp/answer.json")" = receipt_difference ]'

step "the book: 60 kg at the exporter, 38 kg at the buyer"
curl -s -H "Authorization: Bearer $POLICE" "$api/inventory?substance=n-phenethyl-4-piperidone" | tee "$tmp/inventory.json" | jq -c '.[] | {holder, lot, kg}'
check '[ "$(jq "[.[] | select(.holder == \"cn-exporter\" and (.lot | endswith(\"NPP-2612\")))][0].kg" "$tmp/inventory.json")" = 60 ]'

step "the Class II trader has never reported: its report is overdue"
curl -s -H "Authorization: Bearer $POLICE" "$api/deadlines?overdue=true" | tee "$tmp/deadlines.json" | jq -c '.reports[] | {enterprise, duty, due, overdue_days}'
check 'jq -e ".reports | map(.enterprise) | index(\"cn-trader\")" "$tmp/deadlines.json" >/dev/null'

step "the medicine manufacturer has no production plan on file: its production is refused"
patches='"epcList": ["urn:epc:id:sgtin:6901234.112346.1", "urn:epc:id:sgtin:6901234.112346.2"]'
code=$(capture "$PHARMA" "{\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"bizStep\": \"commissioning\", \"eventTime\": \"$(when 2)\", \"eventTimeZoneOffset\": \"+08:00\", \"bizLocation\": {\"id\": \"urn:epc:id:sgln:6901234.00010.0\"}, $patches, \"ilmd\": {\"fg:substance\": \"fentanyl\", \"fg:netContent\": {\"value\": 4.2, \"uom\": \"MGM\"}}}")
jq -r .detail "$tmp/answer.json"
check '[ "$code" = 400 ]'

step "with a plan of 10 g of base for the year it is accepted; shipping straight to a hospital is refused"
curl -s -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  --data "{\"enterprise\": \"cn-pharma\", \"substance\": \"fentanyl\", \"year\": $(date -u +%Y), \"plan_kg\": 0.01}" "$api/production-plans" | jq -c .
code=$(capture "$PHARMA" "$(jq -c '.epcisBody.eventList[0]' "$tmp/doc.json")")
check '[ "$code" = 202 ]'
code=$(capture "$PHARMA" "{\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"bizStep\": \"shipping\", \"eventTime\": \"$(when 1)\", \"eventTimeZoneOffset\": \"+08:00\", \"bizLocation\": {\"id\": \"urn:epc:id:sgln:6901234.00010.0\"}, $patches, \"destinationList\": [{\"type\": \"owning_party\", \"destination\": \"urn:epc:id:pgln:6901234.00013\"}]}")
jq -r '.context.errors[0].breaches[] | "\(.rule): \(.reason)"' "$tmp/answer.json"
check '[ "$code" = 400 ]'

step "the short receipt is the buyer's claim about the exporter: open until public security confirms it"
curl -s -H "Authorization: Bearer $POLICE" "$api/alerts?enterprise=cn-exporter&kind=receipt_difference&open_claims=true" \
  | tee "$tmp/claims.json" | jq -c '.[] | {id, org, concerns}'
claim=$(jq -r '[.[] | select(.org == "cn-buyer")][0].id' "$tmp/claims.json")
code=$(curl -s -o "$tmp/confirmed.json" -w '%{http_code}' -H "Authorization: Bearer $POLICE" -H 'Content-Type: application/json' \
  --data '{"reason": "weighbridge tickets at both sites checked"}' "$api/alerts/$claim/confirmation")
jq -c '{id, concerns, confirmed}' "$tmp/confirmed.json"
check '[ "$code" = 200 ] && [ "$(jq -r .confirmed.reason "$tmp/confirmed.json")" = "weighbridge tickets at both sites checked" ]'

step "the exporter's credit rating has moved, with its reasons"
curl -s -H "Authorization: Bearer $OFFICER" "$api/enterprises/cn-exporter/credit-rating" | tee "$tmp/credit.json" | jq -c '{score, grade, reasons: [.reasons[] | {code, count, points}]}'
check '[ "$(jq .score "$tmp/credit.json")" -lt 100 ] && jq -e ".reasons | map(.code) | index(\"receipt_difference\")" "$tmp/credit.json" >/dev/null'

step "the audit trail is intact"
curl -s -H "Authorization: Bearer $ADMIN" "$api/audit/verify" | tee "$tmp/audit.json" | jq .
check '[ "$(jq -r .valid "$tmp/audit.json")" = true ]'
# --- README walk-through ends here ---

step "the exporter signs in to the portal with the name and password demo seed printed"
password=$(awk '$1 == "demo-compliance_officer" {print $2}' "$tmp/sign-in.txt")
check '[ -n "$password" ]'
jar="$tmp/cookies.txt"
curl -s -c "$jar" "http://127.0.0.1:$port/sign-in" > "$tmp/sign-in.html"
form_token=$(sed -n 's/.*name="form_token" value="\([0-9a-f]*\)".*/\1/p' "$tmp/sign-in.html")
check '[ ${#form_token} = 64 ]'
curl -s -b "$jar" -c "$jar" -o /dev/null -w '%{http_code} %{redirect_url}\n' \
  --data-urlencode username=demo-compliance_officer --data-urlencode "password=$password" \
  --data-urlencode "form_token=$form_token" "http://127.0.0.1:$port/sign-in" > "$tmp/signed-in.txt"
check 'grep -q "^303 .*/work$" "$tmp/signed-in.txt"'
curl -s -b "$jar" "http://127.0.0.1:$port/work" > "$tmp/work.html"
check 'grep -q "$APP" "$tmp/work.html" && grep -q "demo-compliance_officer" "$tmp/work.html"'
echo "signed in; My work lists $APP"

kill -TERM $server; wait $server
"$bin" audit verify --db "$db" --key "$tmp/key" --checkpoints "$tmp/fentguard-checkpoints.jsonl"
echo "walk-through passed on $db"
