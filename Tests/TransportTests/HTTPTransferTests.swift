// HTTP through CurlClient against a real loopback server: bodies, headers, statuses,
// failures (refused, timeout), redirects, concurrency and connection reuse.
import Foundation
import Testing
import TestSupport
import Transport

@Suite struct HTTPTransferTests {
    @Test func postArrivesIntactAndResponseComesBack() async throws {
        let server = try LoopbackHTTPServer { req in
            .json(202, #"{"status":"success","message":"Event processed","dedup_key":"k1"}"#,
                  headers: [("X-Request-Id", "r1"), ("Link", "<a>"), ("Link", "<b>")])
        }
        let client = try CurlClient()
        let body = Array(#"{"routing_key":"abc","event_action":"trigger"}"#.utf8) + [0, 255, 13, 10]
        let request = HTTPRequest(method: .post, url: server.url("/v2/enqueue?x=1"),
                                  headers: ["Content-Type": "application/json", "X-Custom": "v a l"], body: body)
        let response = try await client.send(request)
        #expect(response.status == 202)
        #expect(response.headers["x-request-id"] == "r1")
        #expect(response.headers.values(for: "link") == ["<a>", "<b>"])
        #expect(response.bodyText.contains("dedup_key"))
        #expect(response.totalTime > .zero)

        let recorded = try #require(server.requests.first)
        #expect(recorded.method == "POST")
        #expect(recorded.path == "/v2/enqueue?x=1")
        #expect(recorded.header("content-type") == "application/json")
        #expect(recorded.header("X-Custom") == "v a l")
        #expect(recorded.header("Expect") == nil)
        #expect(recorded.body == body)
        await client.shutdown()
    }

    @Test func getAndOtherMethods() async throws {
        let server = try LoopbackHTTPServer { req in .text(200, "\(req.method) \(req.path) \(req.body.count)") }
        let client = try CurlClient()
        #expect(try await client.send(HTTPRequest(url: server.url("/a"))).bodyText == "GET /a 0")
        #expect(try await client.send(HTTPRequest(method: .put, url: server.url("/b"), body: [1, 2])).bodyText == "PUT /b 2")
        #expect(try await client.send(HTTPRequest(method: .delete, url: server.url("/c"))).bodyText == "DELETE /c 0")
        #expect(try await client.send(HTTPRequest(method: .post, url: server.url("/d"))).bodyText == "POST /d 0")
        let head = try await client.send(HTTPRequest(method: .head, url: server.url("/e")))
        #expect(head.status == 200 && head.body.isEmpty)
        // A large body must not trigger a 100-continue round trip.
        let big = [UInt8](repeating: 120, count: 200_000)
        #expect(try await client.send(HTTPRequest.post(server.url("/big"), body: big)).bodyText == "POST /big 200000")
        #expect(server.requests.last?.body == big)
        await client.shutdown()
    }

    @Test func providerStatusesAreResponsesNotErrors() async throws {
        let server = try LoopbackHTTPServer { req in
            switch req.path {
            case "/400": .text(400, "invalid_payload")
            case "/404": .text(404, "no_service")
            case "/410": .text(410, "channel_is_archived")
            case "/429": .text(429, "rate_limited", headers: [("Retry-After", "1")])
            case "/twilio": .json(201, #"{"sid":"SM1","status":"queued"}"#)
            case "/sendgrid": .empty(202)
            default: .text(200, "ok")
            }
        }
        let client = try CurlClient()
        for (path, status, text) in [("/ok", 200, "ok"), ("/400", 400, "invalid_payload"), ("/404", 404, "no_service"),
                                     ("/410", 410, "channel_is_archived"), ("/429", 429, "rate_limited"),
                                     ("/sendgrid", 202, ""), ("/twilio", 201, #"{"sid":"SM1","status":"queued"}"#)] {
            let r = try await client.send(HTTPRequest.post(server.url(path), body: Array("{}".utf8)))
            #expect(r.status == status, "\(path)")
            #expect(r.bodyText == text, "\(path)")
        }
        let limited = try await client.send(HTTPRequest.post(server.url("/429"), body: []))
        #expect(limited.retryAfter() == .seconds(1))
        await client.shutdown()
    }

    @Test func refusedConnectionIsCouldNotConnect() async throws {
        let client = try CurlClient()
        let port = try LoopbackSocket.unusedPort()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/secret-path"))
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.curlCode == 7)
        #expect(error?.description.contains("secret-path") == false)
        await client.shutdown()
    }

    @Test func slowServerTimesOut() async throws {
        // The answer would come after 120 s; CPU-bound tests running beside this one can hold
        // both cooperative threads for seconds, so the margin is wide.
        let server = try LoopbackHTTPServer { _ in Response.text(200, "late").delayed(.seconds(120)) }
        let client = try CurlClient()
        let start = ContinuousClock.now
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.send(HTTPRequest(url: server.url("/slow"), timeout: .milliseconds(500)))
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .timedOut)
        #expect(error?.message.isEmpty == false)
        // Well before the answer would have come, with room for a loaded machine.
        #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(60), "took \(elapsed)")
        await client.shutdown()
    }

    @Test func droppedConnectionIsRecvFailed() async throws {
        let server = try LoopbackHTTPServer { _ in .drop }
        let client = try CurlClient()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.send(HTTPRequest(url: server.url("/")))
        }
        #expect(error?.code == .recvFailed)
        await client.shutdown()
    }

    @Test func redirectsAreNotFollowedByDefault() async throws {
        let server = try LoopbackHTTPServer { req in
            req.path == "/from" ? Response(status: 302, headers: [("Location", "/to")]) : .text(200, "arrived")
        }
        let client = try CurlClient()
        let r = try await client.send(HTTPRequest(url: server.url("/from")))
        #expect(r.status == 302)
        #expect(r.headers["location"] == "/to")
        #expect(server.requests.map(\.path) == ["/from"])
        var follow = HTTPRequest(url: server.url("/from"))
        follow.followRedirects = true
        #expect(try await client.send(follow).bodyText == "arrived")
        await client.shutdown()
    }

    @Test func manyConcurrentRequestsAllCompleteOverFewConnections() async throws {
        let server = try LoopbackHTTPServer { req in .text(200, req.bodyText) }
        let client = try CurlClient(configuration: .init(maxConnections: 32, maxHostConnections: 16))
        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let r = try await client.send(HTTPRequest.post(server.url("/n"), body: Array("\(i)".utf8)))
                    return (i, r.bodyText)
                }
            }
            var out: [(Int, String)] = []
            for try await pair in group { out.append(pair) }
            return out
        }
        #expect(bodies.count == 200)
        #expect(bodies.allSatisfy { "\($0.0)" == $0.1 })
        #expect(server.requestCount == 200)
        #expect(server.connectionCount <= 16, "connections: \(server.connectionCount)")
        // Sequential requests reuse one kept-alive connection.
        let before = server.connectionCount
        for _ in 0..<5 { _ = try await client.send(HTTPRequest(url: server.url("/again"))) }
        #expect(server.connectionCount == before)
        await client.shutdown()
    }

    @Test func oversizedResponseIsRefused() async throws {
        let server = try LoopbackHTTPServer { _ in Response(status: 200, body: [UInt8](repeating: 1, count: 100_000)) }
        let client = try CurlClient()
        var request = HTTPRequest(url: server.url("/"))
        request.maxResponseBytes = 1000
        let error = await #expect(throws: TransportError.self) { _ = try await client.send(request) }
        #expect(error?.code == .responseTooLarge)
        await client.shutdown()
    }

    @Test func badURLIsInvalidRequest() async throws {
        let client = try CurlClient()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.send(HTTPRequest(url: "ftp://127.0.0.1/x"))
        }
        #expect(error?.code == .invalidRequest)
        await client.shutdown()
    }
}

typealias Response = LoopbackHTTPServer.Response
