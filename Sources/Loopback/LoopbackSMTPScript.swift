// LoopbackSMTPScript: the Python program LoopbackSMTPServer runs (aiosmtpd, from the repo's
// .venv). Kept as a string so SwiftPM has no stray resource to declare.

enum LoopbackSMTPScript {
    /// argv: <directory> <config json>. Config: {"reject": {addr: reply line}, "data": reply line
    /// or null, "data_once": [reply lines] answered to the first DATAs in turn (then the usual
    /// answer), "auth": [user, password] or null, "auth_reply": the reply line to a failed
    /// AUTH (default 535), "store": false to accept and forget (benchmarks)}. Prints "READY <port>" once listening; exits
    /// when stdin closes (so it dies with the test process). Each accepted message becomes
    /// NNNNNN.eml (raw bytes, un-dot-stuffed) and NNNNNN.json (envelope), json written last.
    static let source = #"""
import asyncio, json, os, sys
from aiosmtpd.smtp import SMTP, AuthResult

DIR = sys.argv[1]
CONFIG = json.loads(sys.argv[2])
REJECT = {k.lower(): v for k, v in (CONFIG.get("reject") or {}).items()}
DATA_REPLY = CONFIG.get("data")
AUTH = CONFIG.get("auth")
STORE = CONFIG.get("store", True)
DATA_ONCE = list(CONFIG.get("data_once") or [])
AUTH_REPLY = CONFIG.get("auth_reply")

class Handler:
    def __init__(self):
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = REJECT.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if DATA_ONCE:
            return DATA_ONCE.pop(0)
        if DATA_REPLY:
            return DATA_REPLY
        self.n += 1
        if not STORE:
            return "250 2.0.0 Ok: queued as %06d" % self.n
        base = os.path.join(DIR, "%06d" % self.n)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "auth": session.authenticated}
        with open(base + ".tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".tmp", base + ".json")
        return "250 2.0.0 Ok: queued as %06d" % self.n

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = bool(AUTH) and auth_data.login.decode() == AUTH[0] and auth_data.password.decode() == AUTH[1]
    if not ok and AUTH_REPLY:
        return AuthResult(success=False, handled=False, message=AUTH_REPLY)
    return AuthResult(success=ok, handled=False)

async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    kwargs = {"hostname": "localhost"}
    if AUTH:
        kwargs.update(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    server = await loop.create_server(lambda: SMTP(handler, **kwargs), "127.0.0.1", 0)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    def on_stdin():
        if not os.read(0, 1024):
            stop.set()
    loop.add_reader(0, on_stdin)
    await stop.wait()
    server.close()

asyncio.run(main())
"""#
}
