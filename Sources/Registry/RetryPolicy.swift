import Foundation

/// The one retry policy and its runner: 408, 429, 5xx, resets and timeouts are retried with
/// exponential backoff and jitter, `Retry-After` honoured, within a budget of attempts and of time
/// for the whole operation. Every request, token fetch and upload goes through `run`, once: an
/// operation made of several requests retries as a whole, its requests do not retry inside it.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// Seconds an operation may spend waiting between attempts, in all.
    public var budget: Double
    /// How a wait is spent; tests replace it to count waits without sleeping.
    public var sleep: @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }

    public static let `default` = RetryPolicy(attempts: 5, baseDelay: 0.25, maxDelay: 8, budget: 120)

    public init(attempts: Int, baseDelay: Double, maxDelay: Double, budget: Double = 120) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.budget = budget
    }

    public static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || (500...599).contains(status) }

    /// How long to wait before attempt `n + 1` (n counts from 1).
    public func delay(after n: Int, retryAfter: String?) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds.isFinite {
            return min(max(seconds, 0), 60)
        }
        let exp = min(maxDelay, baseDelay * pow(2, Double(n - 1)))
        return exp / 2 + Double.random(in: 0...(exp / 2))
    }

    /// What one attempt came to: done, or worth another try (with what to return or throw if the
    /// budget is spent, and the server's `Retry-After`).
    public enum Attempt<T> {
        case done(T)
        case again(Result<T, Error>, retryAfter: String? = nil)
    }

    /// Runs `attempt` (given its number, from 1) until it is done, throws, or the budget of attempts
    /// and waiting time is spent; then the last attempt's result stands.
    public func run<T>(onRetry: () -> Void = {}, _ attempt: (Int) throws -> Attempt<T>) throws -> T {
        var waited = 0.0
        var n = 0
        while true {
            n += 1
            switch try attempt(n) {
            case .done(let value):
                return value
            case .again(let last, let retryAfter):
                let wait = delay(after: n, retryAfter: retryAfter)
                guard n < attempts, waited + wait <= budget else { return try last.get() }
                onRetry()
                waited += wait
                sleep(wait)
            }
        }
    }
}
