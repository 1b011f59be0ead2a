# The operator key (the quick start keeps it in herald-data/admin-token)
export HERALD_ADMIN_TOKEN="$(cat herald-data/admin-token)"
# A receiver on 127.0.0.1:9000 that prints each delivery (the quick start lets Herald deliver to it)
python3 -c 'import http.server as h
class R(h.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        print("receiver got", self.headers["webhook-id"], body.decode(), flush=True)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
h.HTTPServer(("127.0.0.1", 9000), R).serve_forever()' &
# An org, and an API key of it
org=$(curl -sf -X POST http://127.0.0.1:8080/v1/orgs \
  -H "authorization: Bearer $HERALD_ADMIN_TOKEN" -H 'content-type: application/json' \
  -d '{"name": "acme"}' | jq -r .id)
key=$(curl -sf -X POST "http://127.0.0.1:8080/v1/orgs/$org/api-keys" \
  -H "authorization: Bearer $HERALD_ADMIN_TOKEN" -H 'content-type: application/json' \
  -d '{"name": "first", "permissions": ["webhooks:read", "webhooks:write", "events:write", "logs:read"]}' | jq -r .key)
# A webhook for order.created to that receiver, active at once
hook=$(curl -sf -X POST "http://127.0.0.1:8080/v1/orgs/$org/webhooks" \
  -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"name": "local receiver", "url": "http://127.0.0.1:9000/hook", "active": true, "triggers": [{"event": "order.created"}]}' | jq -r .id)
echo "org $org, API key $key, webhook $hook"
# Publish an event
curl -sf -X POST "http://127.0.0.1:8080/v1/orgs/$org/events" \
  -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"type": "order.created", "data": {"order": {"id": "o-1", "status": "paid", "total": 42}}}'
echo
# The webhook's delivery log (give it a second: the first delivery is `succeeded`)
sleep 1
curl -sf "http://127.0.0.1:8080/v1/orgs/$org/webhooks/$hook/deliveries" -H "authorization: Bearer $key" | jq .
