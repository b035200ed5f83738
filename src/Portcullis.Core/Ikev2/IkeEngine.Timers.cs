namespace Portcullis.Core.Ikev2;

/// <summary>
/// The IKE SAs' timers in a priority queue, so that <see cref="IkeEngine.NextTimeout"/> and
/// <see cref="IkeEngine.HandleTimeout"/> cost O(log n) instead of a walk over every SA (the host asks on every turn
/// of its loop; at 10,000 SAs two walks took about 3 ms a turn). An SA whose timers may have changed is
/// <em>touched</em> (each of its methods the engine or another SA calls does so first); before the queue is read,
/// every touched SA's due time is computed again and queued when it moved. Entries are never removed: one whose time
/// is no longer the SA's is skipped when it comes up, and the queue is rebuilt when such entries pile up.
/// </summary>
public sealed partial class IkeEngine
{
    private readonly PriorityQueue<IkeSa, DateTimeOffset> _timers = new();
    private readonly List<IkeSa> _touched = [];

    /// <summary>
    /// Tests set this (Portcullis.Core.Tests does, for every engine): each read of the queue is checked against a walk
    /// over every SA, and a difference throws, so that a method that changes an SA's timers without touching it fails a
    /// test instead of delaying a retransmission in the field.
    /// </summary>
    internal static bool VerifyTimerQueue { get; set; }

    /// <summary>Entries in the timer queue, stale ones included (for tests and the scale benchmark).</summary>
    internal int TimerQueueLength => _timers.Count;

    /// <summary>The SA's timers may have changed: its due time is computed again before the queue is next read.</summary>
    internal void Touch(IkeSa sa)
    {
        if (sa.TimerTouched) return;
        sa.TimerTouched = true;
        _touched.Add(sa);
    }

    private bool IsRegistered(IkeSa sa) => _byLocalSpi.TryGetValue(sa.LocalSpi, out IkeSa? registered) && registered == sa;

    private void RescheduleTouched()
    {
        foreach (IkeSa sa in _touched)
        {
            sa.TimerTouched = false;
            DateTimeOffset? due = IsRegistered(sa) ? sa.NextTimeout : null;
            if (due == sa.TimerDue) continue;
            sa.TimerDue = due;
            if (due is { } t) _timers.Enqueue(sa, t);
        }
        _touched.Clear();
        // Each move of an SA's time leaves one stale entry; keep the queue within a small multiple of the SAs.
        if (_timers.Count > 2 * _byLocalSpi.Count + 1024)
        {
            _timers.Clear();
            foreach (IkeSa sa in _byLocalSpi.Values)
                if (sa.TimerDue is { } t) _timers.Enqueue(sa, t);
        }
    }

    /// <summary>The earliest due time of any registered SA, stale entries on top dropped on the way.</summary>
    private DateTimeOffset? EarliestTimer()
    {
        RescheduleTouched();
        while (_timers.TryPeek(out IkeSa? sa, out DateTimeOffset t))
        {
            if (sa.TimerDue == t && IsRegistered(sa)) return t;
            _timers.Dequeue();
        }
        return null;
    }

    /// <summary>Takes the SAs due at <paramref name="now"/> off the queue (they are touched again when handled).</summary>
    private List<IkeSa>? DueTimers(DateTimeOffset now)
    {
        RescheduleTouched();
        List<IkeSa>? due = null;
        while (_timers.TryPeek(out IkeSa? sa, out DateTimeOffset t) && t <= now)
        {
            _timers.Dequeue();
            if (sa.TimerDue != t || !IsRegistered(sa)) continue;
            sa.TimerDue = null;
            (due ??= []).Add(sa);
        }
        return due;
    }

    /// <summary>Under <see cref="VerifyTimerQueue"/>: the queue's answer must be what a walk over every SA gives.</summary>
    private void CheckTimerQueue(DateTimeOffset? fromQueue)
    {
        DateTimeOffset? walked = null;
        IkeSa? first = null;
        foreach (IkeSa sa in _byLocalSpi.Values)
            if (sa.NextTimeout is { } t && (walked is null || t < walked)) (walked, first) = (t, sa);
        if (walked != fromQueue)
            throw new InvalidOperationException($"timer queue says {fromQueue:O}, the SAs say {walked:O} ({first?.Name}[{first?.Uid}], {first?.State}): an SA's timers changed without IkeEngine.Touch");
    }
}
