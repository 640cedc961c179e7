// TransferTicket: the meeting point of an awaiting task and the loop thread.
// Its state machine guarantees the continuation is resumed exactly once, whichever
// comes first: completion, cancellation, or shutdown.
import Basics

/// What a transfer does.
enum TransferPayload: Sendable {
    case http(HTTPRequest)
    case smtp(SMTPRequest)
}

/// What a successful transfer produced.
enum TransferOutcome: Sendable {
    case http(HTTPResponse)
    case smtp(SMTPResponse)
}

final class TransferTicket: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<TransferOutcome, any Error>)
        /// Cancelled before a continuation was attached: `attach` will resume it at once.
        case cancelledEarly
        case done
    }

    let id: UInt64
    let payload: TransferPayload
    private let state = Locked(State.idle)

    init(id: UInt64, payload: TransferPayload) {
        self.id = id
        self.payload = payload
    }

    /// Stores the continuation. Returns false (having resumed it with CancellationError)
    /// when the task was cancelled first; the caller must then not enqueue the ticket.
    func attach(_ continuation: CheckedContinuation<TransferOutcome, any Error>) -> Bool {
        let cancelled = state.withLock { s -> Bool in
            if case .cancelledEarly = s { s = .done; return true }
            s = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    /// Resumes the waiter with CancellationError now. Returns true when a transfer may be
    /// running and the loop must be told to remove its handle.
    func cancel() -> Bool {
        let waiter = state.withLock { s -> CheckedContinuation<TransferOutcome, any Error>? in
            switch s {
            case .idle:
                s = .cancelledEarly
                return nil
            case .waiting(let c):
                s = .done
                return c
            case .cancelledEarly, .done:
                return nil
            }
        }
        waiter?.resume(throwing: CancellationError())
        return waiter != nil
    }

    /// Delivers the result; a no-op if the ticket was already resumed (e.g. cancelled).
    func finish(_ result: Result<TransferOutcome, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<TransferOutcome, any Error>? in
            guard case .waiting(let c) = s else { s = .done; return nil }
            s = .done
            return c
        }
        waiter?.resume(with: result)
    }

    /// True once the waiter has been resumed; the loop skips starting such tickets.
    var isFinished: Bool {
        state.withLock { s in
            if case .done = s { return true }
            if case .cancelledEarly = s { return true }
            return false
        }
    }
}
