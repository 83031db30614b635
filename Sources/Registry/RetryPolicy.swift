import Foundation

/// The one retry policy: 408, 429, 5xx, resets and timeouts are retried with exponential backoff
/// and jitter, `Retry-After` honoured, up to a fixed number of attempts.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public static let `default` = RetryPolicy(attempts: 5, baseDelay: 0.25, maxDelay: 8)

    public init(attempts: Int, baseDelay: Double, maxDelay: Double) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || (500...599).contains(status) }

    /// How long to wait before attempt `n + 1` (n counts from 1).
    public func delay(after n: Int, retryAfter: String?) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)) {
            return min(max(seconds, 0), 60)
        }
        let exp = min(maxDelay, baseDelay * pow(2, Double(n - 1)))
        return exp / 2 + Double.random(in: 0...(exp / 2))
    }
}
