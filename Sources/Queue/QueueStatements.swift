// QueueStatements: every statement the queue engine runs, one type each, named after its
// operation. Tables, views and functions are defined in sql/0001_queue.sql.
import Foundation
import PG

/// The queue's SQL. Each statement owns its text, its parameters and its row decoding;
/// `sql` is public so the benchmark can drive the very same text through pgbench.
public enum QueueStatements {
    /// Session settings of the producer's and completer's connections, which run only the
    /// statements below. Generic plans: the hot statements were written so that their only
    /// sensible plan is an index lookup (the claim index, the primary key by `= ANY`); a
    /// custom plan, costed with statistics taken while nothing was running, can pick a
    /// nested loop over every running job instead (745 ms for 2,000 jobs). And no sequential
    /// scans: on a freshly created table the planner's statistics say "empty", and a plan
    /// made then (a scan of the whole table for 20 ids) stays when the table has grown to
    /// millions of completed rows (5.7 ms against 0.19 ms by primary key at 100,000 rows).
    /// Nor hash or merge joins: the batched updates join an `unnest` of ids to the table,
    /// and the one plan that is right at every size is a nested loop of key lookups.
    static func prepareHotPathSession(_ conn: Connection) async throws {
        // A transaction pooler would apply a session SET to someone else's session; there
        // every statement is unnamed and planned afresh anyway.
        guard conn.pooling == .session else { return }
        try await conn.executeScript(hotPathSession)
    }
    static let hotPathSession = "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off"

    // MARK: - Enqueue

    /// One job through `cs.enqueue` (which honours `unique_key`); returns its id.
    struct Enqueue: Statement {
        var kind: String
        var args: JSONText
        var options: JobOptions
        var sql: String {
            """
            SELECT cs.enqueue($1, $2::jsonb, $3, $4::smallint, $5::timestamptz, $6::smallint, $7)
            """
        }
        var bindings: [any SQLParameter] {
            [kind, args, options.queue, options.priority, options.runAt ?? Date(), options.maxAttempts, options.uniqueKey]
        }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// Many jobs of one kind in one statement.
    struct EnqueueMany: Statement {
        var kind: String
        var args: [String]
        var queue: String
        var priority: Int
        var sql: String {
            """
            INSERT INTO cs.jobs (kind, args, queue, priority)
            SELECT $1, a::jsonb, $3, $4::smallint FROM unnest($2::text[]) AS a
            """
        }
        var bindings: [any SQLParameter] { [kind, args, queue, priority] }
    }

    // MARK: - The hot path

    /// Claims up to `limit` ready jobs of `queue` for `workerID`, most urgent first. One
    /// queue per statement, so the jobs_claim index yields rows in order with no sort (with
    /// `queue = ANY(...)` the planner sorts every ready job on each claim). The claimed ids
    /// are handed over as an array so the update is a primary-key lookup whatever the
    /// planner guesses about the LIMIT (a join here became a hash join over the table).
    public struct Claim: Statement {
        public var queue: String
        public var limit: Int
        public var workerID: String
        public init(queue: String, limit: Int, workerID: String) { self.queue = queue; self.limit = limit; self.workerID = workerID }
        public var sql: String {
            """
            UPDATE cs.jobs j
            SET state = 'running', attempt = j.attempt + 1, attempted_at = now(),
                attempted_by = array_append(j.attempted_by, $3), worker_id = $3
            WHERE j.id = ANY (ARRAY(
                SELECT id FROM cs.jobs
                WHERE state = 'available' AND queue = $1 AND \(Claim.controls)
                ORDER BY priority, run_at, id
                LIMIT $2
                FOR UPDATE SKIP LOCKED))
            RETURNING j.id, j.queue, j.kind, j.args, j.attempt, j.max_attempts, j.priority, j.created_at, j.run_at, j.run_at::text
            """
        }
        public var bindings: [any SQLParameter] { [queue, limit, workerID] }
        /// The operator's controls, enforced by the claim itself: nothing of a paused queue
        /// (`cs.queues`), nothing of a kind with a concurrency limit (`cs.kind_limits`; those go
        /// through `ClaimLimited`). Both subqueries run once per statement. The kind is compared
        /// as an expression (`kind || ''`), which has no statistics: on the column itself a
        /// generic plan estimated `kind <> $param` as 1 − 1/n_distinct — zero while every job
        /// had one kind — expected no row from the index walk and scanned the table instead
        /// (measured in `bench queue`'s pgbench ceiling).
        static let controls = "NOT EXISTS (SELECT 1 FROM cs.queues p WHERE p.name = $1 AND p.paused) "
            + "AND (kind || '') <> ALL (ARRAY(SELECT k.kind FROM cs.kind_limits k))"
        /// A claimed row: a job to run, or one that cannot be read, to discard alone with the
        /// reason (its neighbours in the batch still run).
        public enum Claimed: Sendable {
            case job(Job)
            case unreadable(id: Int64, attempt: Int, reason: String)
        }
        public func decode(_ row: Row) throws -> Claimed { try Self.decodeClaimed(row) }

        /// The claimed row, and its place in the claim order (for `ClaimAfter`).
        static func decodeClaimed(_ row: Row) throws -> Claimed {
            let id = try row.decode(Int64.self, 0)
            let attempt = try row.decode(Int.self, 4)
            do {
                return .job(Job(id: id, queue: try row.decode(String.self, 1),
                                kind: try row.decode(String.self, 2), args: row.bytes(3) ?? Array("{}".utf8),
                                attempt: attempt, maxAttempts: try row.decode(Int.self, 5),
                                priority: try row.decode(Int.self, 6), createdAt: try row.decode(Date.self, 7)))
            } catch {
                return .unreadable(id: id, attempt: attempt, reason: "the claimed row cannot be read: \(error)")
            }
        }

        /// Where a claimed row sits in the claim order: (priority, run_at as text, id).
        static func position(_ row: Row) -> ClaimPosition? {
            guard let id = try? row.decode(Int64.self, 0), let priority = try? row.decode(Int.self, 6),
                  let time = try? row.decode(Date.self, 8), let runAt = try? row.decode(String.self, 9) else { return nil }
            return ClaimPosition(priority: priority, runAt: runAt, time: time, id: id)
        }
    }

    /// A position in the claim order. `runAt` is the server's own text, so it round-trips
    /// to the microsecond.
    struct ClaimPosition: Sendable, Comparable {
        var priority: Int
        /// Bound as the server printed it; `time` only orders positions here.
        var runAt: String
        var time: Date
        var id: Int64
        static func < (a: ClaimPosition, b: ClaimPosition) -> Bool {
            (a.priority, a.time, a.id) < (b.priority, b.time, b.id)
        }
        static func == (a: ClaimPosition, b: ClaimPosition) -> Bool { a.priority == b.priority && a.runAt == b.runAt && a.id == b.id }
    }

    /// `Claim`, starting after `after` in the claim order. While the MVCC horizon is held
    /// back (a long transaction, a replica's feedback), the entries of every job already
    /// claimed stay in the claim index, and a claim that starts at the top walks all of them
    /// (150,000 entries, 20 ms a claim, were measured); starting after the last job this
    /// worker claimed skips them. Jobs that land before that point (a higher priority, an
    /// earlier run_at committed late) are found by the periodic claim from the top.
    struct ClaimAfter: Statement {
        var queue: String
        var limit: Int
        var workerID: String
        var after: ClaimPosition
        var sql: String {
            """
            UPDATE cs.jobs j
            SET state = 'running', attempt = j.attempt + 1, attempted_at = now(),
                attempted_by = array_append(j.attempted_by, $3), worker_id = $3
            WHERE j.id = ANY (ARRAY(
                SELECT id FROM cs.jobs
                WHERE state = 'available' AND queue = $1 AND (priority, run_at, id) > ($4::smallint, $5::timestamptz, $6::bigint)
                  AND \(Claim.controls)
                ORDER BY priority, run_at, id
                LIMIT $2
                FOR UPDATE SKIP LOCKED))
            RETURNING j.id, j.queue, j.kind, j.args, j.attempt, j.max_attempts, j.priority, j.created_at, j.run_at, j.run_at::text
            """
        }
        var bindings: [any SQLParameter] { [queue, limit, workerID, after.priority, after.runAt, after.id] }
        func decode(_ row: Row) throws -> Claim.Claimed { try Claim.decodeClaimed(row) }
    }

    /// Claims ready jobs of the kinds in `cs.kind_limits` from `queue`, never more than a
    /// kind's limit running across all workers (`cs.claim_limited` counts under a lock).
    struct ClaimLimited: Statement {
        var queue: String
        var limit: Int
        var workerID: String
        var sql: String {
            """
            SELECT id, queue, kind, args, attempt, max_attempts, priority, created_at, run_at, run_at::text
            FROM cs.claim_limited($1, $2, $3)
            """
        }
        var bindings: [any SQLParameter] { [queue, limit, workerID] }
        func decode(_ row: Row) throws -> Claim.Claimed { try Claim.decodeClaimed(row) }
    }

    /// Marks jobs completed. A job rescued and re-claimed meanwhile has another attempt
    /// number and is left alone. On the hot-path session the only join left to the planner
    /// is a nested loop of primary-key lookups (a hash join planned on an empty table
    /// scanned the whole table for 20 ids once it had grown).
    public struct CompleteMany: Statement {
        public var ids: [Int64]
        public var attempts: [Int]
        public init(ids: [Int64], attempts: [Int]) { self.ids = ids; self.attempts = attempts }
        public var sql: String {
            """
            UPDATE cs.jobs j
            SET state = 'completed', finalized_at = now(), worker_id = NULL
            FROM unnest($1::bigint[], $2::int[]) AS c(id, attempt)
            WHERE j.id = c.id AND j.attempt = c.attempt AND j.state = 'running'
            """
        }
        public var bindings: [any SQLParameter] { [ids, attempts] }
    }

    /// Records failures, cancellations, releases and snoozes, one entry per job: its new
    /// state, the delay before the next try and the error. A release ('available') and a
    /// snooze ('scheduled', counted in `snoozes`) give the attempt back: the job did not
    /// fail. Returns each finished job's queue and state.
    struct FinishMany: Statement {
        /// How a job leaves `running` other than by completing.
        enum Transition: String, Sendable {
            case retry, discard, cancel, release, snooze
        }
        var ids: [Int64] = []
        var attempts: [Int] = []
        var transitions: [Transition] = []
        var delaysSeconds: [Double] = []
        var errors: [String?] = []
        var isEmpty: Bool { ids.isEmpty }
        mutating func append(id: Int64, attempt: Int, as transition: Transition, delaySeconds: Double, error: String?) {
            ids.append(id); attempts.append(attempt); transitions.append(transition)
            delaysSeconds.append(delaySeconds); errors.append(error)
        }
        var sql: String {
            """
            UPDATE cs.jobs j
            SET state = (CASE c.t WHEN 'retry' THEN 'retryable' WHEN 'discard' THEN 'discarded'
                                  WHEN 'cancel' THEN 'cancelled' WHEN 'release' THEN 'available'
                                  ELSE 'scheduled' END)::cs.job_state,
                run_at = CASE WHEN c.t IN ('retry', 'release', 'snooze')
                              THEN now() + make_interval(secs => c.delay_s) ELSE j.run_at END,
                finalized_at = CASE WHEN c.t IN ('discard', 'cancel') THEN now() END,
                attempt = CASE WHEN c.t IN ('release', 'snooze') THEN greatest(j.attempt - 1, 0) ELSE j.attempt END,
                snoozes = j.snoozes + CASE WHEN c.t = 'snooze' THEN 1 ELSE 0 END,
                errors = CASE WHEN c.error IS NULL THEN j.errors
                              ELSE j.errors || jsonb_build_array(jsonb_build_object(
                                  'attempt', j.attempt, 'at', now(), 'error', c.error, 'worker', j.worker_id)) END,
                worker_id = NULL
            FROM unnest($1::bigint[], $2::int[], $3::text[], $4::float8[], $5::text[])
                 AS c(id, attempt, t, delay_s, error)
            WHERE j.id = c.id AND j.attempt = c.attempt AND j.state = 'running'
            RETURNING j.queue, j.state
            """
        }
        var bindings: [any SQLParameter] { [ids, attempts, transitions.map(\.rawValue), delaysSeconds, errors] }
        func decode(_ row: Row) throws -> (queue: String, state: String) {
            (try row.decode(String.self, 0), try row.decode(String.self, 1))
        }
    }

    /// A running job's own account of its work (`JobContext.recordResult`).
    struct RecordResult: Statement {
        var id: Int64
        var attempt: Int
        var result: JSONText
        var sql: String { "UPDATE cs.jobs SET result = $3::jsonb WHERE id = $1 AND attempt = $2 AND state = 'running'" }
        var bindings: [any SQLParameter] { [id, attempt, result] }
    }

    /// Gives a running job's unique key back (see `JobContext.releaseUniqueKey`). Waits for any
    /// transaction that found the key taken and locked the row (sql/0019_signals.sql).
    struct ReleaseUniqueKey: Statement {
        var id: Int64
        var attempt: Int
        var sql: String { "UPDATE cs.jobs SET unique_key = NULL WHERE id = $1 AND attempt = $2 AND state = 'running' AND unique_key IS NOT NULL" }
        var bindings: [any SQLParameter] { [id, attempt] }
    }

    /// Wakes the workers of `queues` (one "SELECT pg_notify('cs_jobs', q) FROM (SELECT DISTINCT unnest($1::text[]) AS q) s" each).
    struct NotifyQueues: Statement {
        var queues: [String]
        var sql: String { "SELECT pg_notify('cs_jobs', q) FROM (SELECT DISTINCT unnest($1::text[]) AS q) s" }
        var bindings: [any SQLParameter] { [queues] }
    }

    // MARK: - Workers

    /// Heartbeat (re-registers a worker the leader gave up for dead) and the ids of its
    /// running jobs that an operator asked to cancel.
    struct Heartbeat: Statement {
        var workerID: String
        var host: String
        var pid: Int
        var queues: [String]
        var concurrency: Int
        var sql: String {
            """
            WITH beat AS (
                INSERT INTO cs.workers (id, host, pid, queues, concurrency)
                VALUES ($1, $2, $3, $4::text[], $5)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
            )
            SELECT id FROM cs.jobs
            WHERE state = 'running' AND worker_id = $1 AND cancel_requested_at IS NOT NULL
            """
        }
        var bindings: [any SQLParameter] { [workerID, host, pid, queues, concurrency] }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    struct DeregisterWorker: Statement {
        var workerID: String
        var sql: String { "DELETE FROM cs.workers WHERE id = $1" }
        var bindings: [any SQLParameter] { [workerID] }
    }

    // MARK: - Leadership

    /// Takes or renews the lease; returns a row only when `candidateID` holds it afterwards.
    struct Elect: Statement {
        var election: String
        var candidateID: String
        var leaseSeconds: Double
        var sql: String {
            """
            INSERT INTO cs.leader AS l (name, leader_id, expires_at)
            VALUES ($1, $2, now() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE
            SET leader_id = EXCLUDED.leader_id, expires_at = EXCLUDED.expires_at,
                elected_at = CASE WHEN l.leader_id = EXCLUDED.leader_id THEN l.elected_at ELSE now() END
            WHERE l.leader_id = EXCLUDED.leader_id OR l.expires_at < now()
            RETURNING leader_id
            """
        }
        var bindings: [any SQLParameter] { [election, candidateID, leaseSeconds] }
    }

    struct Resign: Statement {
        var election: String
        var candidateID: String
        var sql: String { "DELETE FROM cs.leader WHERE name = $1 AND leader_id = $2" }
        var bindings: [any SQLParameter] { [election, candidateID] }
    }

    // MARK: - Maintenance

    /// Makes up to `limit` due scheduled and retryable jobs available and wakes their
    /// queues; returns how many it promoted.
    struct PromoteDue: Statement {
        var limit: Int
        var sql: String {
            """
            WITH promoted AS (
                UPDATE cs.jobs j SET state = 'available'
                WHERE j.id = ANY (ARRAY(
                    SELECT id FROM cs.jobs
                    WHERE state IN ('scheduled', 'retryable') AND run_at <= now()
                    ORDER BY run_at
                    LIMIT $1
                    FOR UPDATE SKIP LOCKED))
                RETURNING j.queue
            ), woken AS (
                SELECT pg_notify('cs_jobs', q.queue) FROM (SELECT DISTINCT queue FROM promoted) q
            )
            SELECT (SELECT count(*) FROM promoted), (SELECT count(*) FROM woken)
            """
        }
        var bindings: [any SQLParameter] { [limit] }
        func decode(_ row: Row) throws -> Int { try row.decode(Int.self, 0) }
    }

    /// Running jobs whose worker has not heartbeaten within `afterSeconds` go back to
    /// retryable (or discarded when out of attempts), with the reason recorded, keeping
    /// their original `run_at` so they are promoted at once and claimed before later jobs.
    struct RescueStale: Statement {
        var afterSeconds: Double
        var limit: Int
        var sql: String {
            """
            UPDATE cs.jobs j
            SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'discarded'::cs.job_state ELSE 'retryable' END,
                finalized_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
                -- run_at is kept: the job goes back to the front of its priority, not
                -- behind a backlog that arrived while its worker was dying.
                errors = j.errors || jsonb_build_array(jsonb_build_object(
                    'attempt', j.attempt, 'at', now(), 'worker', j.worker_id,
                    'error', 'worker stopped heartbeating; job rescued')),
                worker_id = NULL
            WHERE j.id = ANY (ARRAY(
                SELECT s.id FROM cs.jobs s
                LEFT JOIN cs.workers w ON w.id = s.worker_id
                WHERE s.state = 'running'
                  AND (w.id IS NULL OR w.heartbeat_at < now() - make_interval(secs => $1))
                  AND s.attempted_at < now() - make_interval(secs => $1)
                LIMIT $2
                FOR UPDATE OF s SKIP LOCKED))
            RETURNING j.id
            """
        }
        var bindings: [any SQLParameter] { [afterSeconds, limit] }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// Forgets workers silent for `silentSeconds` (their jobs were rescued first).
    struct ForgetDeadWorkers: Statement {
        var silentSeconds: Double
        var sql: String {
            """
            DELETE FROM cs.workers w
            WHERE w.heartbeat_at < now() - make_interval(secs => $1)
              AND NOT EXISTS (SELECT 1 FROM cs.jobs j WHERE j.state = 'running' AND j.worker_id = w.id)
            """
        }
        var bindings: [any SQLParameter] { [silentSeconds] }
    }

    /// The claim index's size in pages and its entries as of the last vacuum or analyze.
    struct ClaimIndexSize: Statement {
        var sql: String {
            "SELECT relpages::bigint, greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'cs.jobs_claim'::regclass"
        }
        func decode(_ row: Row) throws -> (pages: Int, entries: Int) { (try row.decode(Int.self, 0), try row.decode(Int.self, 1)) }
    }

    /// Invalid indexes on cs.jobs (an interrupted `REINDEX … CONCURRENTLY` leaves `…_ccnew`),
    /// as schema-qualified names.
    struct InvalidJobIndexes: Statement {
        var sql: String {
            """
            SELECT n.nspname || '.' || c.relname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.indrelid = 'cs.jobs'::regclass AND NOT i.indisvalid
            """
        }
        func decode(_ row: Row) throws -> String { try row.decode(String.self, 0) }
    }

    /// Deletes up to `limit` finished jobs: completed ones older than `keepCompletedSeconds`,
    /// discarded or cancelled ones older than `keepDiscardedSeconds`.
    /// The minutes since the last one recorded (at most the last hour), up to the last whole
    /// minute, counted from the finalized_at BRIN range.
    struct RecordThroughput: Statement {
        var sql: String {
            """
            INSERT INTO cs.job_throughput (minute, queue, completed, failed)
            SELECT date_trunc('minute', finalized_at), queue,
                   count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state IN ('discarded', 'cancelled'))
            FROM cs.jobs
            WHERE finalized_at >= greatest((SELECT max(minute) + interval '1 minute' FROM cs.job_throughput),
                                           date_trunc('minute', now()) - interval '1 hour')
              AND finalized_at < date_trunc('minute', now())
            GROUP BY 1, 2
            ON CONFLICT (minute, queue) DO NOTHING
            """
        }
    }

    struct PruneThroughput: Statement {
        var keepSeconds: Double
        var sql: String { "DELETE FROM cs.job_throughput WHERE minute < now() - make_interval(secs => $1)" }
        var bindings: [any SQLParameter] { [keepSeconds] }
    }

    struct PruneFinished: Statement {
        var keepCompletedSeconds: Double
        var keepDiscardedSeconds: Double
        var limit: Int
        var sql: String {
            """
            DELETE FROM cs.jobs WHERE id IN (
                SELECT id FROM cs.jobs
                WHERE finalized_at IS NOT NULL
                  AND ((state = 'completed' AND finalized_at < now() - make_interval(secs => $1))
                    OR (state IN ('discarded', 'cancelled') AND finalized_at < now() - make_interval(secs => $2)))
                LIMIT $3
            )
            """
        }
        var bindings: [any SQLParameter] { [keepCompletedSeconds, keepDiscardedSeconds, limit] }
    }

    // MARK: - Cron

    /// Enabled schedules whose `next_slot` has come (or was never set).
    struct DueSchedules: Statement {
        struct Due: Sendable {
            let name: String, cron: String, timeZone: String, kind: String, argsJSON: String
            let queue: String, priority: Int, maxAttempts: Int
            let nextSlot: Date?
            let now: Date
        }
        var sql: String {
            """
            SELECT name, cron, timezone, kind, args::text, queue, priority, max_attempts, next_slot, now()
            FROM cs.schedules WHERE enabled AND (next_slot IS NULL OR next_slot <= now())
            """
        }
        func decode(_ row: Row) throws -> Due {
            Due(name: try row.decode(String.self, 0), cron: try row.decode(String.self, 1), timeZone: try row.decode(String.self, 2),
                kind: try row.decode(String.self, 3), argsJSON: try row.decode(String.self, 4), queue: try row.decode(String.self, 5),
                priority: try row.decode(Int.self, 6), maxAttempts: try row.decode(Int.self, 7),
                nextSlot: try row.decodeIfPresent(Date.self, 8), now: try row.decode(Date.self, 9))
        }
    }

    /// Disables a schedule the leader cannot use, with the reason, so it stops failing
    /// every pass while the others go on.
    struct SetScheduleAside: Statement {
        var name: String
        var reason: String
        var sql: String { "UPDATE cs.schedules SET enabled = false, last_error = $2, updated_at = now() WHERE name = $1" }
        var bindings: [any SQLParameter] { [name, reason] }
    }

    /// Sets the first slot of a schedule that has none.
    struct SetFirstSlot: Statement {
        var name: String
        var slot: Date?
        var sql: String { "UPDATE cs.schedules SET next_slot = $2 WHERE name = $1 AND next_slot IS NULL" }
        var bindings: [any SQLParameter] { [name, slot] }
    }

    /// Moves a schedule on from `expected` (only if nobody moved it meanwhile).
    struct AdvanceSchedule: Statement {
        var name: String
        var expected: Date
        var last: Date
        var next: Date?
        var sql: String {
            """
            UPDATE cs.schedules SET last_slot = $3, next_slot = $4, updated_at = now()
            WHERE name = $1 AND next_slot = $2
            """
        }
        var bindings: [any SQLParameter] { [name, expected, last, next] }
    }

    /// Adds or replaces a schedule.
    struct UpsertSchedule: Statement {
        var schedule: Schedule
        var nextSlot: Date?
        var sql: String {
            """
            INSERT INTO cs.schedules (name, cron, timezone, kind, args, queue, priority, max_attempts, enabled, next_slot)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::smallint, $8::smallint, $9, $10)
            ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, kind = EXCLUDED.kind,
                args = EXCLUDED.args, queue = EXCLUDED.queue, priority = EXCLUDED.priority,
                max_attempts = EXCLUDED.max_attempts, enabled = EXCLUDED.enabled, next_slot = EXCLUDED.next_slot,
                last_error = NULL, updated_at = now()
            """
        }
        var bindings: [any SQLParameter] {
            let s = schedule
            return [s.name, s.cron, s.timeZone, s.kind, JSONText(s.argsJSON), s.queue, s.priority, s.maxAttempts, s.enabled, nextSlot]
        }
    }

    struct ScheduleExists: Statement {
        var name: String
        var sql: String { "SELECT 1 FROM cs.schedules WHERE name = $1" }
        var bindings: [any SQLParameter] { [name] }
    }

    struct ListSchedules: Statement {
        var sql: String {
            """
            SELECT name, cron, timezone, kind, args::text, queue, priority, max_attempts, enabled, last_slot, next_slot
            FROM cs.schedules ORDER BY name
            """
        }
        func decode(_ row: Row) throws -> Schedule {
            Schedule(name: try row.decode(String.self, 0), cron: try row.decode(String.self, 1),
                     timeZone: try row.decode(String.self, 2), kind: try row.decode(String.self, 3),
                     argsJSON: try row.decode(String.self, 4), queue: try row.decode(String.self, 5),
                     priority: try row.decode(Int.self, 6), maxAttempts: try row.decode(Int.self, 7),
                     enabled: try row.decode(Bool.self, 8), lastSlot: try row.decodeIfPresent(Date.self, 9),
                     nextSlot: try row.decodeIfPresent(Date.self, 10))
        }
    }

    struct RemoveSchedule: Statement {
        var name: String
        var sql: String { "DELETE FROM cs.schedules WHERE name = $1" }
        var bindings: [any SQLParameter] { [name] }
    }

    // MARK: - Operators

    struct QueueOverview: Statement {
        var sql: String {
            """
            SELECT queue, kind, available, scheduled, running, retryable, completed, discarded, cancelled,
                   oldest_available_age_s::float8
            FROM cs.queue_overview ORDER BY queue, kind
            """
        }
        func decode(_ r: Row) throws -> QueueOverviewRow {
            QueueOverviewRow(queue: try r.decode(String.self, 0), kind: try r.decode(String.self, 1),
                             available: try r.decode(Int.self, 2), scheduled: try r.decode(Int.self, 3),
                             running: try r.decode(Int.self, 4), retryable: try r.decode(Int.self, 5),
                             completed: try r.decode(Int.self, 6), discarded: try r.decode(Int.self, 7),
                             cancelled: try r.decode(Int.self, 8), oldestAvailableAgeSeconds: try r.decodeIfPresent(Double.self, 9))
        }
    }

    struct PausedQueues: Statement {
        var sql: String { "SELECT name FROM cs.queues WHERE paused ORDER BY name" }
        func decode(_ r: Row) throws -> String { try r.decode(String.self, 0) }
    }

    struct Workers: Statement {
        var sql: String {
            """
            SELECT w.id, w.host, w.pid, w.queues, w.concurrency,
                   extract(epoch FROM now() - w.heartbeat_at)::float8,
                   EXISTS (SELECT 1 FROM cs.leader l WHERE l.leader_id = w.id AND l.expires_at > now()),
                   (SELECT count(*) FROM cs.jobs j WHERE j.state = 'running' AND j.worker_id = w.id)
            FROM cs.workers w ORDER BY w.started_at
            """
        }
        func decode(_ r: Row) throws -> WorkerRow {
            WorkerRow(id: try r.decode(String.self, 0), host: try r.decode(String.self, 1), pid: try r.decode(Int.self, 2),
                      queues: try r.decode([String].self, 3), concurrency: try r.decode(Int.self, 4),
                      heartbeatAgeSeconds: try r.decode(Double.self, 5), isLeader: try r.decode(Bool.self, 6),
                      running: try r.decode(Int.self, 7))
        }
    }

    /// How many jobs `cs.failing_jobs` and `cs.stuck_jobs` list.
    struct ProblemCounts: Statement {
        var sql: String { "SELECT (SELECT count(*) FROM cs.failing_jobs), (SELECT count(*) FROM cs.stuck_jobs)" }
        func decode(_ r: Row) throws -> (failing: Int, stuck: Int) { (try r.decode(Int.self, 0), try r.decode(Int.self, 1)) }
    }

    /// An operator's action on one job through `cs.retry_job`, `cs.cancel_job` or
    /// `cs.discard_job`; returns the job's state afterwards (nil: no such job).
    struct JobAction: Statement {
        enum Action: Sendable { case retry, cancel, discard }
        var action: Action
        var id: Int64
        var sql: String {
            switch action {
            case .retry: return "SELECT cs.retry_job($1)"
            case .cancel: return "SELECT cs.cancel_job($1)"
            case .discard: return "SELECT cs.discard_job($1)"
            }
        }
        var bindings: [any SQLParameter] { [id] }
        func decode(_ r: Row) throws -> JobState? { try r.decodeIfPresent(String.self, 0).flatMap(JobState.init(rawValue:)) }
    }

    /// True when `queues` hold no job that is ready, running, or due within `horizonSeconds`.
    struct IsDrained: Statement {
        var queues: [String]
        var horizonSeconds: Double
        var sql: String {
            """
            SELECT NOT EXISTS (
                SELECT 1 FROM cs.jobs
                WHERE queue = ANY($1::text[])
                  AND (state IN ('available', 'running')
                       OR (state IN ('scheduled', 'retryable') AND run_at < now() + make_interval(secs => $2))))
            """
        }
        var bindings: [any SQLParameter] { [queues, horizonSeconds] }
        func decode(_ r: Row) throws -> Bool { try r.decode(Bool.self, 0) }
    }

    // MARK: - Diagnostics

    /// One run of a `probe` job, for tests that count how often each job ran.
    struct RecordProbeRun: Statement {
        var jobID: Int64
        var attempt: Int
        var workerID: String
        var sql: String { "INSERT INTO cs.probe_runs (job_id, attempt, worker_id) VALUES ($1, $2, $3)" }
        var bindings: [any SQLParameter] { [jobID, attempt, workerID] }
    }
}
