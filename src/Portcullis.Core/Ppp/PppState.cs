namespace Portcullis.Core.Ppp;

/// <summary>The states of RFC 1661's option negotiation automaton (§4.2), numbered as in its state table.</summary>
public enum PppState
{
    /// <summary>0: lower layer down, no Open yet.</summary>
    Initial,
    /// <summary>1: Open given, waiting for the lower layer.</summary>
    Starting,
    /// <summary>2: lower layer up, no Open (or closed administratively).</summary>
    Closed,
    /// <summary>3: negotiation gave up or the peer terminated; waiting for a Down or a peer's Configure-Request.</summary>
    Stopped,
    /// <summary>4: Terminate-Request sent after a Close.</summary>
    Closing,
    /// <summary>5: Terminate-Request sent (or received) without a Close.</summary>
    Stopping,
    /// <summary>6: Configure-Request sent, nothing acknowledged yet.</summary>
    RequestSent,
    /// <summary>7: our Configure-Request acknowledged, the peer's not yet.</summary>
    AckReceived,
    /// <summary>8: the peer's Configure-Request acknowledged, ours not yet.</summary>
    AckSent,
    /// <summary>9: both acknowledged; the layer is up.</summary>
    Opened,
}
