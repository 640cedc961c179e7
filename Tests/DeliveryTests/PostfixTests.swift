// Email against a real Postfix on loopback (a private instance, ops/postfix-lab.sh): the
// plain port, submission with STARTTLS + AUTH trusting the channel's own CA, a 451 at end
// of data then one copy delivered on retry, and an injection attempt refused with nothing
// delivered. The instance lives in a temporary folder; /etc/postfix is never touched.
import Basics
import Delivery
import Foundation
import Testing
import TestSupport

/// A running private Postfix; `stop()` ends it and removes its folder.
final class PostfixLab: Sendable {
    let dir: String
    let plainPort: UInt16
    let submissionPort: UInt16

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-postfix-\(UUID().uuidString.prefix(8))").path
        plainPort = try LoopbackSocket.unusedPort()
        submissionPort = try LoopbackSocket.unusedPort()
        let policyPort = try LoopbackSocket.unusedPort()
        let out = try Self.script(["start", dir, "\(plainPort)", "\(submissionPort)", "\(policyPort)"])
        guard out.contains("READY") else {
            _ = try? Self.script(["stop", dir]) // puts /etc/sasldb2 back, removes the folder
            throw LabError(description: "postfix lab did not start: \(out)")
        }
    }

    struct LabError: Error, CustomStringConvertible { let description: String }

    var caFile: String { dir + "/tls/ca.pem" }

    /// Messages delivered to `user@lab.test`, raw.
    func delivered(to user: String) -> [String] {
        let folder = "\(dir)/mail/\(user)/new"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().compactMap { try? String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8) }
    }

    /// Waits (bounded) for Postfix's queue manager to hand messages to the Maildir.
    func waitForDelivered(to user: String, count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let got = delivered(to: user)
            if got.count >= count { return got }
            try await Task.sleep(for: .milliseconds(100))
        }
        return delivered(to: user)
    }

    func stop() { _ = try? Self.script(["stop", dir]) }

    /// Runs ops/postfix-lab.sh with `arguments` (our own temp paths and port numbers) and
    /// returns its output. `system` rather than Process: the daemons the script starts keep
    /// its descriptors, and Foundation's Process did not reap the script here.
    @discardableResult
    static func script(_ arguments: [String], filePath: String = #filePath) throws -> String {
        let root = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cs-postfix-lab-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let command = (["/bin/bash", root.appendingPathComponent("ops/postfix-lab.sh").path] + arguments)
            .map { "'" + $0.replacingOccurrences(of: "'", with: "") + "'" }.joined(separator: " ")
        _ = system(command + " </dev/null >'\(log)' 2>&1")
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }
}

@Suite struct PostfixTests {
    static func channel(_ name: String, port: UInt16, options: [String: JSONValue] = [:], secretRef: String? = nil) -> Channel {
        var o: [String: JSONValue] = ["from": "success@cs-lab.test", "from_name": "Customer Success"]
        for (k, v) in options { o[k] = v }
        return Channel(name: name, type: .smtp, endpoint: "smtp://127.0.0.1:\(port)", secretRef: secretRef, options: o,
                       ratePerSecond: 100, burst: 10)
    }

    @Test func realPostfixPlainSubmissionRetryAndInjection() async throws {
        // Postfix starts in a second or two; its own thread keeps the cooperative pool free.
        let lab = try await withCheckedThrowingContinuation { (c: CheckedContinuation<PostfixLab, Error>) in
            Thread { c.resume(with: Result { try PostfixLab() }) }.start()
        }
        defer { lab.stop() }
        try await DeliveryHarness.with { h in
            // 1. The plain port: no TLS demanded, no credentials.
            try await h.save(Self.channel("plain", port: lab.plainPort))
            let plain = try await h.enqueue("plain", recipient: "csm@lab.test", subject: "Plain port: Fleur & Co — Größe",
                                            text: "Hello from the plain port\n.a dot line\nFrom the start")
            let p = try await h.waitFor(plain, timeout: .seconds(30)) { $0.status == "sent" || $0.status == "failed" }
            #expect(p.status == "sent", "\(p.lastError ?? "")")
            #expect(p.attempts.last?.smtpCode == 250)
            let inbox = try await lab.waitForDelivered(to: "csm", count: 1)
            #expect(inbox.count == 1)
            #expect(inbox.first?.contains("Hello from the plain port") == true)

            // 2. Submission: STARTTLS (demanded because the channel has credentials), AUTH,
            // the server's certificate checked against the channel's private CA.
            try await h.save(Self.channel("submission", port: lab.submissionPort,
                                          options: ["username": "lab", "ca_file": .string(lab.caFile), "helo": "cs-worker.test"],
                                          secretRef: try secretFile("lab-password")))
            let sub = try await h.enqueue("submission", recipient: "csm@lab.test", subject: "Submission", text: "Over TLS with AUTH")
            let s = try await h.waitFor(sub, timeout: .seconds(30)) { $0.status == "sent" || $0.status == "failed" }
            #expect(s.status == "sent", "\(s.lastError ?? "")")
            let both = try await lab.waitForDelivered(to: "csm", count: 2)
            let tlsCopy = both.first { $0.contains("Over TLS with AUTH") }
            #expect(tlsCopy?.contains("ESMTPSA") == true, "received over TLS after AUTH")

            // Without the CA, the same server's certificate is refused: checking is never off.
            try await h.save(Self.channel("submission-no-ca", port: lab.submissionPort, options: ["username": "lab"],
                                          secretRef: try secretFile("lab-password")))
            let noCA = try await h.enqueue("submission-no-ca", recipient: "csm@lab.test", subject: "x", text: "y")
            let n = try await h.waitFor(noCA, timeout: .seconds(30)) { $0.status == "failed" || $0.attempts.count >= 1 }
            #expect(n.status != "sent")
            #expect(n.lastError?.lowercased().contains("tls") == true || n.lastError?.lowercased().contains("certificate") == true,
                    "\(n.lastError ?? "")")

            // 3. A 451 at end of data (the policy service), then success on retry: one copy.
            let retry = try await h.enqueue("plain", recipient: "retry@lab.test", subject: "Retry me", text: "Once only")
            let r = try await h.waitFor(retry, timeout: .seconds(30)) { $0.status == "sent" || $0.status == "failed" }
            #expect(r.status == "sent", "\(r.lastError ?? "")")
            #expect(r.attempts.first?.smtpCode == 451)
            #expect(r.attempts.first?.outcome == "retry")
            let retried = try await lab.waitForDelivered(to: "retry", count: 1)
            try await Task.sleep(for: .milliseconds(500))
            #expect(lab.delivered(to: "retry").count == 1, "exactly one copy")
            #expect(retried.first?.contains("Once only") == true)

            // 4. An injection attempt through the recipient: refused, nothing delivered.
            let before = lab.delivered(to: "csm").count + lab.delivered(to: "retry").count
            let injected = try await h.enqueue("plain", recipient: "csm@lab.test>\r\nRCPT TO:<retry@lab.test>\r\nDATA\r\nSubject: forged\r\n\r\nforged\r\n.\r\n",
                                               subject: "Innocent", text: "t")
            let i = try await h.waitFor(injected, timeout: .seconds(30)) { $0.status == "failed" }
            #expect(i.attempts.count == 1)
            try await Task.sleep(for: .seconds(1))
            #expect(lab.delivered(to: "csm").count + lab.delivered(to: "retry").count == before, "nothing delivered")
        }
    }
}
