using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Logging;

/// <summary>
/// Keeps lines that a peer can trigger at will (unauthenticated packets) from filling the disk: a token bucket per
/// kind of line, <see cref="LinesPerSecond"/> on average with bursts of up to <see cref="Burst"/>. Lines over the
/// budget are counted, not written; the next line of that kind that may be written (or <see cref="Flush"/>, once the
/// bucket has refilled) is preceded by one summary, "suppressed N similar messages (kind) in the last T s".
/// Sans-IO: time is passed in. Not thread-safe; the engine calls it from its one loop.
/// </summary>
public sealed class RateLimitedLog
{
    private readonly ILogger _logger;
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    private sealed class Bucket
    {
        public double Tokens;
        public DateTimeOffset RefilledAt;
        public long Suppressed;
        public long TotalSuppressed;
        public DateTimeOffset FirstSuppressedAt;
        public LogLevel Level;
    }

    /// <summary>A limiter writing its summaries to <paramref name="logger"/>.</summary>
    public RateLimitedLog(ILogger logger, double linesPerSecond = 10, int burst = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _logger = logger;
        LinesPerSecond = linesPerSecond;
        Burst = burst;
    }

    /// <summary>Average lines per second allowed for each kind.</summary>
    public double LinesPerSecond { get; }

    /// <summary>Lines of one kind that may be written back to back after a quiet spell.</summary>
    public int Burst { get; }

    /// <summary>
    /// True when a line of <paramref name="kind"/> at <paramref name="level"/> may be written now (the caller writes
    /// it); writes the summary of what was suppressed before it first. False (and counted) when over the budget, or
    /// when the logger would not write that level anyway (then it is not counted).
    /// </summary>
    public bool Allow(string kind, LogLevel level, DateTimeOffset now)
    {
        if (!_logger.IsEnabled(level)) return false;
        if (!_buckets.TryGetValue(kind, out Bucket? bucket))
        {
            bucket = new Bucket { Tokens = Burst, RefilledAt = now, Level = level };
            _buckets[kind] = bucket;
        }
        Refill(bucket, now);
        if (bucket.Tokens >= 1)
        {
            bucket.Tokens -= 1;
            if (bucket.Suppressed > 0) Summarize(kind, bucket, now);
            return true;
        }
        if (bucket.Suppressed == 0)
        {
            bucket.FirstSuppressedAt = now;
            bucket.Level = level;
        }
        bucket.Suppressed++;
        bucket.TotalSuppressed++;
        return false;
    }

    /// <summary>
    /// Writes the pending summaries of kinds whose bucket has refilled (the burst of lines is over), so the count
    /// is not held back until the next line of that kind. Each summary costs a token, like a line.
    /// </summary>
    public void Flush(DateTimeOffset now)
    {
        foreach ((string kind, Bucket bucket) in _buckets)
        {
            if (bucket.Suppressed == 0) continue;
            Refill(bucket, now);
            if (bucket.Tokens < 1) continue;
            bucket.Tokens -= 1;
            Summarize(kind, bucket, now);
        }
    }

    /// <summary>Lines of <paramref name="kind"/> suppressed since this limiter was made.</summary>
    public long TotalSuppressed(string kind) => _buckets.TryGetValue(kind, out Bucket? b) ? b.TotalSuppressed : 0;

    /// <summary>Lines of <paramref name="kind"/> suppressed and not yet summarized.</summary>
    public long PendingSuppressed(string kind) => _buckets.TryGetValue(kind, out Bucket? b) ? b.Suppressed : 0;

    private void Refill(Bucket bucket, DateTimeOffset now)
    {
        double elapsed = (now - bucket.RefilledAt).TotalSeconds;
        // A clock that went back refills nothing (and does not drain either).
        if (elapsed > 0) bucket.Tokens = Math.Min(Burst, bucket.Tokens + elapsed * LinesPerSecond);
        bucket.RefilledAt = now;
    }

    private void Summarize(string kind, Bucket bucket, DateTimeOffset now)
    {
        double seconds = Math.Max(0, (now - bucket.FirstSuppressedAt).TotalSeconds);
        RateLimitedLogMessages.Suppressed(_logger, bucket.Level, bucket.Suppressed, kind, seconds);
        bucket.Suppressed = 0;
    }
}

/// <summary>The limiter's own line.</summary>
internal static partial class RateLimitedLogMessages
{
    [LoggerMessage(EventId = 900, Message = "suppressed {Count} similar messages ({Kind}) in the last {Seconds:0.0} s")]
    public static partial void Suppressed(ILogger logger, LogLevel level, long count, string kind, double seconds);
}
