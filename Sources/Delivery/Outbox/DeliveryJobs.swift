// DeliveryJobs: wires the `deliver` job kind into a worker's registry in one call.
import Logging
import PG
import Queue
import Transport

/// The arguments of a `deliver` job, as `cs.enqueue_delivery` writes them.
public struct DeliverArgs: JobArgs {
    /// The job kind that sends one outbox row.
    public static let kind = "deliver"
    public var deliveryId: Int64
    public init(deliveryId: Int64) { self.deliveryId = deliveryId }
}

/// Registration of Delivery's job kinds.
public enum DeliveryJobs {
    /// The queue `cs.enqueue_delivery` puts those jobs on: a worker must claim from it.
    public static let queue = "delivery"

    /// Registers `deliver` and returns the `Deliverer` behind it (its rate limits and
    /// circuits are shared by every delivery this worker runs).
    ///
    /// The job succeeds when the message is sent (or was already finished), is retried
    /// after the far end's `Retry-After` (or backoff) when the failure is transient, and is
    /// discarded when it is permanent; the delivery row records each attempt either way.
    @discardableResult
    public static func register(in registry: JobRegistry, client: CurlClient,
                                settings: DeliverySettings = DeliverySettings(), logger: Logger) -> Deliverer {
        let deliverer = Deliverer(client: client, settings: settings, logger: logger)
        registry.register(DeliverArgs.self, timeout: settings.jobTimeout) { args, ctx in
            let result: DeliveryResult
            do {
                result = try await deliverer.deliver(id: args.deliveryId, attempt: ctx.job.attempt,
                                                     isLastAttempt: ctx.job.isLastAttempt,
                                                     database: ctx.database, logger: ctx.logger)
            } catch let e as DeliveryError {
                throw PermanentJobError(e.description)
            }
            let reason = result.outcome?.reason ?? result.status.rawValue
            switch result.status {
            case .sent, .alreadyFinished:
                return
            case .retrying:
                throw RetryJobError(after: result.retryAfter ?? .zero, "delivery \(args.deliveryId): \(reason)")
            case .failed:
                throw PermanentJobError("delivery \(args.deliveryId): \(reason)")
            case .unknown:
                throw PermanentJobError("delivery \(args.deliveryId): outcome of an interrupted send unknown; at_most_once channel, not sent again")
            case .deferred:
                throw SnoozeJobError(after: result.retryAfter ?? .seconds(1), "delivery \(args.deliveryId): \(reason)")
            }
        }
        return deliverer
    }
}
