// Deliverer: one run of the `deliver` job — take the delivery, respect the channel's rate
// limit and its endpoint's circuit, send once, record the attempt, say what should happen next.
import Basics
import CoreMetrics
import Foundation
import Logging
import PG
import Transport

/// Sends outbox rows. One per process (it holds the shared rate-limit buckets and circuit
/// breakers); `DeliveryJobs.register` makes one for the worker.
///
/// At-least-once: the attempt is recorded after the send, so a worker that dies in between
/// leaves the delivery `sending`; the rescued job sends again with the same idempotency key,
/// dedup_key and Message-ID, and the attempt log notes the interruption.
public final class Deliverer: Sendable {
    let sender: ChannelSender
    public let limiter: RateLimiter
    public let breaker: CircuitBreaker
    public let settings: DeliverySettings
    let logger: Logger

    /// Which process noted an open circuit: host and pid.
    static let process = "\(ProcessInfo.processInfo.hostName):\(getpid())"

    public init(client: CurlClient, settings: DeliverySettings = DeliverySettings(), logger: Logger) {
        sender = ChannelSender(client: client, resolver: settings.resolver, timeout: settings.timeout,
                               connectTimeout: settings.connectTimeout)
        limiter = RateLimiter(maxWait: settings.maxRateLimitWait)
        breaker = CircuitBreaker()
        self.settings = settings
        self.logger = logger
    }

    /// Delivers `id` as attempt `attempt`. Returns what was recorded; throws
    /// `DeliveryError(.notFound)` for a missing row, database errors as they come, and
    /// `CancellationError` without recording anything (the delivery stays `sending`).
    public func deliver(id: Int64, attempt: Int, isLastAttempt: Bool, database: Database,
                        logger: Logger? = nil) async throws -> DeliveryResult {
        var log = logger ?? self.logger
        log[metadataKey: "delivery_id"] = "\(id)"
        guard let claimed = try await database.first(DeliveryStatements.Claim(id: id, attempt: attempt)) else {
            throw DeliveryError(.notFound, "delivery \(id) does not exist")
        }
        guard claimed.taken else {
            log.debug("delivery already finished; nothing to do", metadata: ["status": "\(claimed.previous.rawValue)"])
            return DeliveryResult(deliveryID: id, status: .alreadyFinished, outcome: nil)
        }
        if claimed.previous == .sending {
            if case .success(let channel) = claimed.channel, channel.isAtMostOnce {
                let reason = "an earlier attempt ended without a recorded outcome; channel \(channel.name) is at_most_once: not sent again"
                try await record(DeliveryStatements.RecordUnknown(id: id, attempt: attempt, reason: reason), database: database, logger: log)
                log.warning("delivery outcome unknown; not sent again (at_most_once)")
                return DeliveryResult(deliveryID: id, status: .unknown, outcome: nil)
            }
            log.warning("previous attempt was interrupted; sending again with the same idempotency key")
        }
        let message = claimed.message
        let clock = ContinuousClock()
        let started = clock.now

        var outcome: SendOutcome
        var endpoint: String?
        var channelType = "unknown"
        do {
            let channel = try claimed.channel.get()
            channelType = channel.type.rawValue
            log[metadataKey: "channel"] = "\(channel.name)"
            log[metadataKey: "channel_type"] = "\(channel.type.rawValue)"
            guard channel.enabled else { throw DeliveryError(.configuration, "channel is disabled", channel: channel.name) }
            let prepared = try sender.prepare(channel, message)
            endpoint = prepared.redacted.description
            log[metadataKey: "endpoint"] = "\(prepared.redacted)"
            outcome = try await sendOnce(channel, prepared, message, database: database)
        } catch let e as DeliveryError {
            outcome = .failed(e.message)
        }
        Counter(label: "cs_delivery_attempts_total", dimensions: [("channel_type", channelType), ("outcome", outcome.label)]).increment()
        if outcome.deferred, case .retry(let after) = outcome.verdict {
            // Never reached the provider: not an attempt. Put off, unless it is too old.
            if Date().timeIntervalSince(message.createdAt) < settings.maxDeferral.seconds {
                let back: DeliveryStatus = claimed.previous == .pending ? .pending : .retrying
                try await record(DeliveryStatements.RecordDeferral(id: id, status: back, attempt: attempt,
                                                                           reason: outcome.reason ?? "deferred"),
                                         database: database, logger: log)
                log.debug("delivery deferred", metadata: ["reason": "\(outcome.reason ?? "")", "retry_in": "\(after)"])
                return DeliveryResult(deliveryID: id, status: .deferred, outcome: outcome, retryAfter: after)
            }
            outcome.verdict = .failed
            outcome.reason = "held back for longer than \(settings.maxDeferral) and never sent; last: " + (outcome.reason ?? "deferred")
        }
        if case .retry = outcome.verdict, isLastAttempt {
            outcome.verdict = .failed
            outcome.reason = "out of attempts; last: " + (outcome.reason ?? "retryable failure")
        }
        let ms = Int((clock.now - started).milliseconds)
        let status: DeliveryResult.Status
        let providerID: String?
        switch outcome.verdict {
        case .sent(let pid): status = .sent; providerID = pid
        case .retry: status = .retrying; providerID = nil
        case .failed: status = .failed; providerID = nil
        }
        let stored: DeliveryStatus = status == .sent ? .sent : (status == .retrying ? .retrying : .failed)
        try await record(DeliveryStatements.RecordAttempt(id: id, status: stored, attempt: attempt, outcome: outcome,
                                                         milliseconds: ms, providerID: providerID), database: database, logger: log)
        var meta: Logger.Metadata = ["outcome": "\(outcome.label)", "attempt": "\(attempt)", "ms": "\(ms)"]
        if let s = outcome.httpStatus { meta["http_status"] = "\(s)" }
        if let s = outcome.smtpCode { meta["smtp_code"] = "\(s)" }
        if let c = outcome.curlCode { meta["curl_code"] = "\(c)" }
        if let r = outcome.reason { meta["reason"] = "\(r)" }
        if let endpoint { meta["endpoint"] = "\(endpoint)" }
        switch status {
        case .sent: log.debug("delivery sent", metadata: meta)
        case .retrying: log.info("delivery will be retried", metadata: meta)
        default: log.warning("delivery failed", metadata: meta)
        }
        var retryAfter: Duration?
        if case .retry(let after) = outcome.verdict { retryAfter = after }
        return DeliveryResult(deliveryID: id, status: status, outcome: outcome, retryAfter: retryAfter)
    }

    /// Writes what the provider said (or that it was not called). The send may have
    /// happened: losing this write would send the message again, so a connection problem
    /// is retried on a fresh connection (both statements apply once, so a write that did
    /// land is not doubled).
    private func record<S: Statement>(_ statement: S, database: Database, logger: Logger) async throws {
        let backoff = Backoff(base: .milliseconds(50), cap: .seconds(2))
        var tries = 0
        while true {
            do {
                try await database.execute(statement)
                return
            } catch let e as PGError where e.isConnectionProblem && tries < 8 {
                tries += 1
                logger.warning("recording a sent attempt failed; retrying on a new connection",
                               metadata: ["error": "\(e.code)", "sqlstate": "\(e.sqlState ?? "")", "try": "\(tries)"])
                try await Task.sleep(for: backoff.delay(attempt: tries))
            }
        }
    }

    /// Rate limit, circuit, send, and teach the circuit how it went.
    private func sendOnce(_ channel: Channel, _ prepared: ChannelSender.Prepared,
                         _ message: OutboundMessage, database: Database) async throws -> SendOutcome {
        switch limiter.acquire(channel.name, rate: channel.ratePerSecond, burst: channel.burst) {
        case .proceed(let wait):
            if wait > .zero { try await Task.sleep(for: wait) }
        case .deferred(let wait):
            // Everyone deferred now would come back at the same instant and meet one token:
            // spread them over the next `wait` as well.
            let spread = Backoff(base: wait, cap: wait, jitter: .full).delay(attempt: 1)
            return SendOutcome(verdict: .retry(after: wait + spread), reason: "rate limit of channel \(channel.name) "
                               + "(\(channel.ratePerSecond)/s): deferred", deferred: true)
        }
        let key = prepared.redacted.description
        let threshold = channel.options["breaker_failures"]?.doubleValue.map { Int($0) } ?? settings.breakerFailures
        let coolDown = channel.milliseconds("breaker_cooldown_ms") ?? settings.breakerCoolDown
        if case .reject(let remaining) = breaker.check(key, coolDown: coolDown) {
            return SendOutcome(verdict: .retry(after: remaining),
                               reason: "circuit open for \(key) after repeated failures; not called", deferred: true)
        }
        var secrets = prepared.secrets
        secrets += message.recipients
        if let r = message.recipient { secrets.append(r) }
        // A provider may echo the message back in its refusal: keep content out of reasons too.
        secrets += [message.subject, message.text, message.html].compactMap { $0 }
        var outcome = try await sender.send(prepared, type: channel.type)
        if let r = outcome.reason { outcome.reason = ResponseClassifier.scrub(r, secrets: secrets) }
        if breaker.record(key, fault: outcome.endpointFault, threshold: threshold, coolDown: coolDown) {
            logger.warning("circuit opened", metadata: ["endpoint": "\(key)", "channel": "\(channel.name)",
                                                       "cool_down": "\(coolDown)"])
            // For the monitor, which runs in some other process: best effort, the send's own
            // record matters more than this note.
            do {
                try await database.execute(DeliveryStatements.NoteBreakerOpen(channel: channel.name, endpoint: key,
                                                                              coolDownSeconds: coolDown.seconds, process: Self.process))
            } catch {
                logger.warning("could not note the open circuit for the monitor", metadata: ["error": "\(error)"])
            }
        }
        return outcome
    }
}
