import Foundation

/// State that threads share, reachable only with its lock held: the one place the pipeline's
/// threads meet (the decode scheduler, the per-file handoffs, the writeback thread's stop flag),
/// and the sample generator's workers. Its own target so that the generator, the tests'
/// independent oracle, shares this and nothing else with the audit library.
///
/// `@unchecked Sendable` is sound here and only here: `state` is private and every access goes
/// through `withLock`, which holds the condition's lock for the whole closure. The types built
/// on it are plain `Sendable` classes whose only stored properties are `let`s the compiler
/// checks. A condition variable rather than a `Mutex` because the handoffs block: a decoder
/// waits for room, the writer for the next chunk.
package final class LockedState<State: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var state: State

    package init(_ state: State) { self.state = state }

    /// Runs `body` with the lock held, first waiting (lock released meanwhile) until `ready`
    /// holds, or until `deadline` passes. When `body` sets `wake`, every waiter is woken after it.
    @discardableResult
    package func withLock<R>(waitingUntil ready: (State) -> Bool = { _ in true }, deadline: Date? = nil,
                     _ body: (inout State, _ wake: inout Bool) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        while !ready(state) {
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        var wake = false
        let result = try body(&state, &wake)
        if wake { condition.broadcast() }
        return result
    }
}
