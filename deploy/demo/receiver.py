"""The demo receiver of deploy/compose.yaml (profile `demo`).

Answers every complete POST with 204 and prints the delivery (a body cut
short by a sender that went away is refused with 400 and not recorded); `GET /received` lists
what arrived (Standard Webhooks headers and the body), so a script can
verify the signatures with the webhook's secret.
"""
import http.server
import json
import threading

received = []
lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:
            # The sender went away mid-body (a worker killed while sending):
            # not a delivery. A real receiver refuses it the same way.
            print(f"receiver refused a truncated body ({len(body)} of {length} bytes)", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        entry = {
            "id": self.headers.get("webhook-id"),
            "timestamp": self.headers.get("webhook-timestamp"),
            "signature": self.headers.get("webhook-signature"),
            "body": body.decode("utf-8", "replace"),
        }
        with lock:
            received.append(entry)
        print("receiver got", entry["id"], entry["body"][:200], flush=True)
        self.send_response(204)
        self.end_headers()

    def do_GET(self):
        with lock:
            data = json.dumps(received).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", 9000), Receiver).serve_forever()
