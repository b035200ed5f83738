namespace Portcullis.Core.Metrics;

/// <summary>A histogram's state at one moment: cumulative counts per upper bound, the sum and the count.</summary>
/// <param name="UpperBounds">The finite upper bounds, ascending (+Inf is implied).</param>
/// <param name="CumulativeCounts">Observations ≤ each bound.</param>
/// <param name="Sum">Sum of all observations.</param>
/// <param name="Count">Number of observations (the +Inf bucket).</param>
public sealed record HistogramSnapshot(IReadOnlyList<double> UpperBounds, IReadOnlyList<long> CumulativeCounts, double Sum, long Count);

/// <summary>
/// A Prometheus-style histogram with fixed bounds. Observations come from one thread at a time (the daemon's loop);
/// snapshots may be taken from that thread too, so no locking is needed.
/// </summary>
public sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private double _sum;
    private long _count;

    /// <summary>Creates a histogram with these finite upper bounds (ascending, distinct).</summary>
    public Histogram(IReadOnlyList<double> upperBounds)
    {
        for (int i = 1; i < upperBounds.Count; i++)
            if (!(upperBounds[i] > upperBounds[i - 1])) throw new ArgumentException("bounds must ascend strictly", nameof(upperBounds));
        _bounds = [.. upperBounds];
        _counts = new long[_bounds.Length];
    }

    /// <summary>Records one observation.</summary>
    public void Observe(double value)
    {
        int i = Array.FindIndex(_bounds, b => value <= b);
        if (i >= 0) _counts[i]++;
        _sum += value;
        _count++;
    }

    /// <summary>The cumulative view Prometheus exposes.</summary>
    public HistogramSnapshot Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++) cumulative[i] = running += _counts[i];
        return new HistogramSnapshot(_bounds, cumulative, _sum, _count);
    }
}
