// The CLI refuses input it cannot use with a clear message and exit 64, never a trap.
import Foundation
import Testing
import TestSupport

@Suite struct CLIValidationTests {
    static let cases: [([String], String)] = [
        (["enqueue", "probe", "--run-at", "+1e300"], "--run-at +SECONDS must be"),
        (["enqueue", "probe", "--run-at", "+nan"], "--run-at +SECONDS must be"),
        (["enqueue", "probe", "--run-at", "0000-01-01T00:00:00Z"], "between 1970 and 9999"),
        (["status", "--log-level", "shouty"], "--log-level (or CS_LOG_LEVEL) must be one of"),
        (["model", "predict", "--accounts", "abc,1"], "not 'abc'"),
        (["status", "--pooling", "sometimes"], "must be session or transaction"),
    ]

    @Test(arguments: 0..<cases.count)
    func badInputIsRefusedWithAClearMessage(index: Int) async throws {
        let (arguments, message) = Self.cases[index]
        let p = try WorkerProcess(arguments: arguments, databaseURL: "postgresql://nobody@127.0.0.1:1/none")
        let status = await p.waitForExit(timeout: .seconds(60))
        #expect(status == 64, "\(arguments): exit \(status.map(String.init) ?? "none")")
        #expect(p.log.contains(message), "\(arguments): \(p.log.prefix(400))")
    }
}
