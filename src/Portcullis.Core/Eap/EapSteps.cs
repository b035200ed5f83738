namespace Portcullis.Core.Eap;

/// <summary>What an <see cref="EapServer"/> step produced.</summary>
public enum EapServerStepKind
{
    /// <summary>Send <see cref="EapServerStep.Message"/>, an EAP Request, and wait for the client's Response.</summary>
    Request,
    /// <summary>The client authenticated: send the EAP-Success in <see cref="EapServerStep.Message"/>; the MSK is set.</summary>
    Success,
    /// <summary>The client did not authenticate: send the EAP-Failure in <see cref="EapServerStep.Message"/> (if any); see the reason.</summary>
    Failure,
}

/// <summary>One step of an <see cref="EapServer"/>.</summary>
public sealed class EapServerStep
{
    internal EapServerStep(EapServerStepKind kind, byte[] message, byte[]? msk = null, string? reason = null, string? discarded = null)
    {
        Kind = kind;
        Message = message;
        Msk = msk;
        Reason = reason;
        Discarded = discarded;
    }

    /// <summary>What happened.</summary>
    public EapServerStepKind Kind { get; }

    /// <summary>The EAP packet to send to the client; empty when there is nothing to send.</summary>
    public byte[] Message { get; }

    /// <summary>On Success, the MSK (a pinned array the caller owns and should wipe after computing AUTH).</summary>
    public byte[]? Msk { get; }

    /// <summary>
    /// Why authentication failed, in plain words. Set on <see cref="EapServerStepKind.Failure"/>, and on the
    /// <see cref="EapServerStepKind.Request"/> that carries an MS-CHAPv2 Failure: the outcome is then decided and the
    /// EAP-Failure follows the client's acknowledgement (Windows and strongSwan clients may just go away instead).
    /// </summary>
    public string? Reason { get; }

    /// <summary>
    /// Set when the client's packet was discarded (RFC 3748 §4.1: a Response that does not match the outstanding
    /// Request is silently discarded): says why, and <see cref="Message"/> repeats the outstanding Request, which is
    /// what a retransmission would have done (IKE needs an answer to every request).
    /// </summary>
    public string? Discarded { get; }
}

/// <summary>What an <see cref="EapClient"/> step produced.</summary>
public enum EapClientStepKind
{
    /// <summary>Send <see cref="EapClientStep.Message"/>, an EAP Response.</summary>
    Response,
    /// <summary>The server sent EAP-Success after proving it knows the password; the MSK is set.</summary>
    Success,
    /// <summary>Authentication is over without success; see the reason. Nothing to send.</summary>
    Failure,
}

/// <summary>One step of an <see cref="EapClient"/>.</summary>
public sealed class EapClientStep
{
    internal EapClientStep(EapClientStepKind kind, byte[] message, byte[]? msk = null, string? reason = null)
    {
        Kind = kind;
        Message = message;
        Msk = msk;
        Reason = reason;
    }

    /// <summary>What happened.</summary>
    public EapClientStepKind Kind { get; }

    /// <summary>The EAP Response to send; empty for Success and Failure.</summary>
    public byte[] Message { get; }

    /// <summary>On Success, the MSK (a pinned array the caller owns and should wipe after computing AUTH).</summary>
    public byte[]? Msk { get; }

    /// <summary>
    /// Why authentication failed, in plain words. Set on <see cref="EapClientStepKind.Failure"/>, and on the
    /// <see cref="EapClientStepKind.Response"/> that acknowledges the server's MS-CHAPv2 Failure (an EAP-Failure follows).
    /// </summary>
    public string? Reason { get; }
}
