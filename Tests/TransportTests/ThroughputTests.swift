// Throughput: small POSTs from Swift async code to a loopback server, as the Delivery
// benchmark will do. Prints the rate; asserts only correctness (timing varies by machine).
import Basics
import Foundation
import TestSupport
import Testing
import Transport

@Suite struct ThroughputTests {
    @Test func smallPostsPerSecond() async throws {
        let server = try LoopbackHTTPServer(record: false) { _ in .text(200, "ok") }
        let client = try CurlClient(configuration: .init(maxConnections: 64, maxHostConnections: 32))
        let body = Array(#"{"text":"Account acme-42 churn risk rose to 0.81"}"#.utf8)
        let url = server.url("/services/T0/B0/secret")
        let total = 20_000
        let concurrency = 128

        // Warm up connections.
        for _ in 0..<32 { _ = try await client.send(HTTPRequest.post(url, body: body)) }

        let start = ContinuousClock.now
        let ok = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var count = 0
                    var i = worker
                    while i < total {
                        let r = try await client.send(HTTPRequest.post(url, body: body))
                        if r.status == 200 { count += 1 }
                        i += concurrency
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("Transport throughput: \(total) POSTs in \(String(format: "%.2f", seconds)) s = "
              + "\(Int(Double(total) / seconds)) req/s over \(server.connectionCount) connections")
        #expect(ok == total)
        await client.shutdown()
    }
}
