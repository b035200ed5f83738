using Portcullis.Core.Diagnostics;
using Portcullis.Host.Control;

namespace Portcullis.Host.Daemon;

/// <summary>
/// <c>portcullis explain</c>: the daemon keeps the last warnings of its negotiations (from the log tap, with their
/// structured fields) and <see cref="FailureExplainer"/> turns them into plain words on request.
/// </summary>
public sealed partial class PortcullisDaemon
{
    /// <summary>How many failures are kept: enough for a busy gateway's last minutes, bounded under a flood.</summary>
    private const int FailuresKept = 200;
    private readonly Queue<NegotiationFailure> _failures = new();
    private readonly Lock _failuresLock = new();

    /// <summary>Any thread: a warning about a negotiation (it names a connection, or no connection matched) is kept.</summary>
    private void RecordFailure(LogTapLine line)
    {
        if (line.Level != 0 || line.Group != "IKE" || (line.Conn is null && line.EventId != 117)) return;
        var failure = new NegotiationFailure(DateTimeOffset.UtcNow, line.EventId, line.Message, line.Fields);
        lock (_failuresLock)
        {
            _failures.Enqueue(failure);
            while (_failures.Count > FailuresKept) _failures.Dequeue();
        }
    }

    private ControlResponse Explain(string? conn)
    {
        NegotiationFailure[] failures;
        lock (_failuresLock) failures = [.. _failures];
        return ControlResponse.Success(FailureExplainer.Explain(failures, conn));
    }
}
