namespace Portcullis.Core.Ipsec;

/// <summary>
/// A token bucket for ICMP error messages the data plane originates (RFC 4443 §2.4 (f), RFC 1812 §4.3.2.8): a
/// burst, then a steady rate, so a flood of oversized packets cannot turn into a flood of errors. Time comes in as
/// timestamps of the caller's clock (ticks and ticks per second), so tests drive it; one thread uses it, nothing is
/// allocated.
/// </summary>
public sealed class IcmpErrorRateLimit(int burst, int perSecond)
{
    private double _tokens = burst;
    private long _last = long.MinValue;

    /// <summary>Errors refused since the last call to <see cref="TakeRefused"/>.</summary>
    public long Refused { get; private set; }

    /// <summary>True when an error may be sent at <paramref name="now"/> (and takes its token).</summary>
    public bool TryTake(long now, long ticksPerSecond)
    {
        if (_last != long.MinValue && now > _last)
            _tokens = Math.Min(burst, _tokens + (double)(now - _last) / ticksPerSecond * perSecond);
        if (_last == long.MinValue || now > _last) _last = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return true;
        }
        Refused++;
        return false;
    }

    /// <summary>Returns the errors refused so far and starts counting again.</summary>
    public long TakeRefused()
    {
        long n = Refused;
        Refused = 0;
        return n;
    }
}
