using System.Net;
using System.Text;

namespace Portcullis.Core.Probe;

/// <summary>How a probe ended.</summary>
public enum ProbeOutcome
{
    /// <summary>The responder chose a proposal.</summary>
    ProposalChosen,
    /// <summary>The responder answered with an error notify (NO_PROPOSAL_CHOSEN, …).</summary>
    Notify,
    /// <summary>Nothing came back within the tries.</summary>
    NoAnswer,
    /// <summary>ICMP port unreachable: nothing listens on the port.</summary>
    Closed,
    /// <summary>Something answered, but not an IKE reply to our request.</summary>
    Malformed,
}

/// <summary>What one probe found out, for the report.</summary>
public sealed record ProbeResult
{
    /// <summary>The responder.</summary>
    public required IPEndPoint Target { get; init; }

    /// <summary>1 or 2.</summary>
    public required int IkeVersion { get; init; }

    /// <summary>How it ended.</summary>
    public required ProbeOutcome Outcome { get; init; }

    /// <summary>The chosen proposal in strongSwan's notation (<c>aes128gcm16-prfsha256-ecp256</c>); null without one.</summary>
    public string? ChosenProposal { get; init; }

    /// <summary>The error notify's RFC name, when the outcome is <see cref="ProbeOutcome.Notify"/>.</summary>
    public string? NotifyName { get; init; }

    /// <summary>IKEv1: the authentication method of the chosen transform.</summary>
    public string? AuthenticationMethod { get; init; }

    /// <summary>The group the responder asked for with INVALID_KE_PAYLOAD (we retried with it).</summary>
    public string? RequestedGroup { get; init; }

    /// <summary>The responder asked for a COOKIE (its DoS protection is on).</summary>
    public bool CookieRequested { get; init; }

    /// <summary>Our address/port as the responder saw it differ from ours: a NAT between, on our side. Null: not known.</summary>
    public bool? LocalBehindNat { get; init; }

    /// <summary>The responder's address/port differ from what we sent to: a NAT on its side (or it fakes one to force UDP encapsulation).</summary>
    public bool? RemoteBehindNat { get; init; }

    /// <summary>Vendor IDs in the answer: known name, or hex.</summary>
    public IReadOnlyList<string> VendorIds { get; init; } = [];

    /// <summary>Requests sent (retransmissions and retries included).</summary>
    public int RequestsSent { get; init; }

    /// <summary>What went wrong reading an answer (with <see cref="ProbeOutcome.Malformed"/>).</summary>
    public string? Problem { get; init; }

    /// <summary>The report, one fact a line, as <c>portcullis probe</c> prints it.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        string v = IkeVersion == 1 ? "IKEv1 Main Mode" : "IKEv2 IKE_SA_INIT";
        sb.Append($"{Target}: ");
        sb.Append(Outcome switch
        {
            ProbeOutcome.ProposalChosen => "answered",
            ProbeOutcome.Notify => "answered",
            ProbeOutcome.NoAnswer => $"no answer to {RequestsSent} {v} request(s)",
            ProbeOutcome.Closed => "closed (ICMP port unreachable)",
            _ => $"answered with something unexpected: {Problem}",
        }).Append('\n');
        if (ChosenProposal is not null)
            sb.Append($"  chosen proposal: {ChosenProposal}{(AuthenticationMethod is null ? "" : $" ({AuthenticationMethod})")}\n");
        if (NotifyName is not null) sb.Append($"  notify: {NotifyName}\n");
        if (RequestedGroup is not null) sb.Append($"  INVALID_KE_PAYLOAD: the responder wants {RequestedGroup} (retried with it)\n");
        if (CookieRequested) sb.Append("  COOKIE requested (DoS protection on; resent with it)\n");
        if (LocalBehindNat is not null || RemoteBehindNat is not null)
        {
            string nat = (LocalBehindNat, RemoteBehindNat) switch
            {
                (true, true) => "yes, on both sides",
                (true, _) => "yes, on our side (our address or port was rewritten)",
                (_, true) => "yes, on the responder's side (or the responder fakes NAT detection to force UDP encapsulation)",
                _ => "no",
            };
            sb.Append($"  NAT between: {nat}\n");
        }
        foreach (string vid in VendorIds) sb.Append($"  vendor ID: {vid}\n");
        return sb.ToString();
    }
}
