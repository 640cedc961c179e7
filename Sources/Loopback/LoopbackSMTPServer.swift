// LoopbackSMTPServer: a real SMTP server (aiosmtpd in the repo's .venv) on 127.0.0.1 with an
// OS-assigned port, for tests. Each instance is its own process, so tests may run in parallel.
import Basics
import Foundation

/// A scripted SMTP sink: accepts mail into a temporary directory, or refuses given recipients.
///
///     let smtp = try LoopbackSMTPServer(rejectRecipients: ["full@example.com": 451])
///     // send to smtp.url ...
///     let mails = smtp.messages()
///
/// Needs `<repo>/.venv` with aiosmtpd (`ops/install-deps.sh`). `init` blocks until the server
/// listens (a few hundred milliseconds of Python start-up).
public final class LoopbackSMTPServer: Sendable {
    /// One accepted message.
    public struct Mail: Sendable {
        public let mailFrom: String
        public let recipients: [String]
        /// The DATA bytes exactly as the server stored them (dot-stuffing removed, CRLF kept).
        public let data: [UInt8]
        /// Whether the session had authenticated.
        public let authenticated: Bool
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: UInt16
    /// Where messages are stored (removed on deinit).
    public let directory: URL
    private let core: Core

    /// - Parameters:
    ///   - rejectRecipients: address → SMTP code (e.g. 451, 550) to answer RCPT TO with.
    ///   - dataReply: a code to answer the end of DATA with instead of accepting (e.g. 451, 554).
    ///   - credentials: require AUTH (PLAIN/LOGIN, no TLS) with this user and password.
    ///   - dataRepliesOnce: codes answered to the first DATAs in turn (e.g. [451]: refuse the
    ///     first message at end of data, accept the next).
    ///   - authFailureReply: the full reply line to a failed AUTH (e.g. "454 4.7.0 Temporary
    ///     authentication failure"); 535 when nil.
    ///   - store: false accepts every message and forgets it (benchmarks: no disk writes).
    public init(rejectRecipients: [String: Int] = [:], dataReply: Int? = nil, dataRepliesOnce: [Int] = [],
                credentials: (user: String, password: String)? = nil, authFailureReply: String? = nil, store: Bool = true,
                filePath: String = #filePath) throws {
        let python = Self.python(filePath: filePath)
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw StartError(description: "LoopbackSMTPServer needs \(python.path) with aiosmtpd: run ops/install-deps.sh "
                + "(or: python3 -m venv .venv && .venv/bin/pip install aiosmtpd, or set CS_VENV)")
        }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("loopback-smtp-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)

        var config: [String: Any] = [
            "reject": rejectRecipients.mapValues(Self.replyLine),
            "data": dataReply.map(Self.replyLine) ?? NSNull(),
            "store": store,
            "data_once": dataRepliesOnce.map(Self.replyLine),
            "auth_reply": authFailureReply ?? NSNull(),
        ]
        if let credentials { config["auth"] = [credentials.user, credentials.password] }
        let configJSON = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)

        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", LoopbackSMTPScript.source, dir.path, configJSON]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderrURL = dir.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        core = Core(process: process, stdin: stdin)

        // Watchdog: a server that never says READY is killed, which ends the read below.
        let core = self.core
        let ready = Locked(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + 15) {
            if !ready.withLock({ $0 }) { core.stop() }
        }
        var line: [UInt8] = []
        while !line.contains(10) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        ready.withLock { $0 = true }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("READY "), let port = UInt16(text.dropFirst(6)) else {
            core.stop()
            let log = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
            throw StartError(description: "aiosmtpd did not start: \(text)\n\(log)")
        }
        self.port = port
        self.directory = dir
    }

    /// Starts the server on a thread of its own and waits for it without blocking the
    /// cooperative pool (its `init` blocks until Python listens: a few hundred ms, and
    /// many such blocks at once would stall every task, heartbeats included).
    public static func start(rejectRecipients: [String: Int] = [:], dataReply: Int? = nil, dataRepliesOnce: [Int] = [],
                             credentials: (user: String, password: String)? = nil, authFailureReply: String? = nil,
                             store: Bool = true, filePath: String = #filePath) async throws -> LoopbackSMTPServer {
        let box = Locked<(user: String, password: String)?>(credentials)
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<LoopbackSMTPServer, Error>) in
            Thread {
                c.resume(with: Result {
                    try LoopbackSMTPServer(rejectRecipients: rejectRecipients, dataReply: dataReply, dataRepliesOnce: dataRepliesOnce,
                                           credentials: box.withLock { $0 }, authFailureReply: authFailureReply,
                                           store: store, filePath: filePath)
                })
            }.start()
        }
    }

    deinit {
        core.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The Python with aiosmtpd: `$CS_VENV/bin/python`, else the checkout's `.venv`.
    static func python(filePath: String) -> URL {
        if let venv = ProcessInfo.processInfo.environment["CS_VENV"] {
            return URL(fileURLWithPath: venv).appendingPathComponent("bin/python")
        }
        let root = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".venv/bin/python")
    }

    /// True when aiosmtpd's Python is installed (the demo runs without email otherwise).
    public static func isAvailable(filePath: String = #filePath) -> Bool {
        FileManager.default.isExecutableFile(atPath: python(filePath: filePath).path)
    }

    /// `smtp://127.0.0.1:<port>`
    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// Accepted messages, in arrival order.
    public func messages() -> [Mail] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let base = directory.appendingPathComponent(String(name.dropLast(5)))
            guard let meta = try? Data(contentsOf: base.appendingPathExtension("json")),
                  let object = try? JSONSerialization.jsonObject(with: meta) as? [String: Any],
                  let data = try? Data(contentsOf: base.appendingPathExtension("eml"))
            else { return nil }
            return Mail(mailFrom: object["mail_from"] as? String ?? "",
                        recipients: object["rcpt_tos"] as? [String] ?? [],
                        data: [UInt8](data),
                        authenticated: object["auth"] as? Bool ?? false)
        }
    }

    /// Stops the server process.
    public func stop() { core.stop() }

    static func replyLine(_ code: Int) -> String {
        (400..<500).contains(code) ? "\(code) 4.3.0 Temporary failure, try again later"
            : "\(code) 5.1.1 Mailbox unavailable"
    }
}

extension LoopbackSMTPServer {
    /// Owns the child process. `@unchecked Sendable`: Process and Pipe are only touched under `lock`.
    final class Core: @unchecked Sendable {
        private let lock = NSLock()
        private let process: Process
        private let stdin: Pipe
        private var stopped = false

        init(process: Process, stdin: Pipe) {
            self.process = process
            self.stdin = stdin
        }

        func stop() {
            lock.lock()
            defer { lock.unlock() }
            guard !stopped else { return }
            stopped = true
            try? stdin.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
        }
    }
}
