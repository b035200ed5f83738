using System.Text;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Diagnostics;

/// <summary>
/// A negotiation failure as the engines logged it: the event id of the log line (IkeLog's), when, and its
/// structured fields (Conn, Uid, Received, Configured, TransformType, Reason…).
/// </summary>
/// <param name="At">When it was logged.</param>
/// <param name="EventId">The [LoggerMessage] event id.</param>
/// <param name="Message">The log line's text, for failures without a dedicated explanation.</param>
/// <param name="Fields">The line's named values, as text.</param>
public sealed record NegotiationFailure(DateTimeOffset At, int EventId, string Message, IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>The connection, when the line names one.</summary>
    public string? Conn => Fields.GetValueOrDefault("Conn");
}

/// <summary>
/// <c>portcullis explain</c>: the recent failures in plain words — which side refused, the two proposal lists with
/// their nearest match and the transform type that had no match, the identities that did not fit, what a dead peer
/// or a refusal by the peer usually means. Pure text from the failure records; the daemon keeps the records.
/// </summary>
public static class FailureExplainer
{
    // IkeLog's event ids: the lines explained in their own words below.
    private const int NoProposalChosen = 102, AuthenticationFailed = 107, PeerRefusedAuthentication = 108, ChildSaFailed = 110,
        PeerAnsweredError = 116, NoConnectionMatches = 117, PeerChoseNoProposal = 120, PeerDead = 135;

    /// <summary>All records (oldest first), explained newest first; <paramref name="conn"/> keeps one connection's.</summary>
    public static string Explain(IReadOnlyList<NegotiationFailure> failures, string? conn)
    {
        List<NegotiationFailure> chosen = failures.Where(f => conn is null || f.Conn == conn).Reverse().ToList();
        if (chosen.Count == 0)
            return conn is null ? "no negotiation failed since the daemon started\n" : $"no negotiation of connection '{conn}' failed since the daemon started\n";
        var text = new StringBuilder();
        foreach (NegotiationFailure f in chosen)
        {
            string who = f.Conn is { } c ? $"{c}[{f.Fields.GetValueOrDefault("Uid", "?")}]" : "(no connection)";
            text.Append($"{f.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z {who}: ");
            ExplainOne(text, f);
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void ExplainOne(StringBuilder text, NegotiationFailure f)
    {
        string F(string key) => f.Fields.GetValueOrDefault(key, "?");
        switch (f.EventId)
        {
            case NoProposalChosen:
            {
                bool esp = F("TransformType").StartsWith("ESP ", StringComparison.Ordinal);
                string type = esp ? F("TransformType")[4..] : F("TransformType");
                text.Append($"this side refused the peer's {(esp ? "ESP (CHILD SA)" : "IKE")} proposals and answered NO_PROPOSAL_CHOSEN.\n");
                text.Append($"  the peer offered:        {F("Received")}\n");
                text.Append($"  this side accepts:       {F("Configured")}\n");
                if (Nearest(F("Configured"), F("Received")) is { } nearest) text.Append($"  nearest match:           {nearest}\n");
                text.Append($"  missing transform type:  {type} ({F("Lacking")})\n");
                text.Append($"  to fix: give both sides one common proposal, e.g. add the peer's {TypeWords(type)} to {(esp ? "esp_proposals of the child" : "proposals of the connection")}, or change the peer's list.");
                break;
            }
            case PeerChoseNoProposal:
                text.Append("the peer refused our proposals (it answered NO_PROPOSAL_CHOSEN).\n");
                text.Append($"  we offered:  {F("Configured")}\n");
                text.Append("  the peer's list is in the peer's log; `portcullis probe PEER` shows what it chooses from a broad offer.");
                break;
            case AuthenticationFailed:
            {
                string reason = F("Reason");
                text.Append($"this side refused the peer's authentication as '{F("PeerId")}': {reason}.\n");
                if (reason.Contains(" expired on ", StringComparison.Ordinal) || reason.Contains(" is not valid before ", StringComparison.Ordinal))
                    text.Append($"  a certificate's dates do not cover this host's time ({f.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z when it was checked): renew it, or if the dates look right, compare both hosts' clocks.");
                else if (reason.Contains(" is not in certificate ", StringComparison.Ordinal))
                    text.Append("  the identity the peer claims (first value) is not among the names its certificate carries (second): fix the peer's id, or the remote id configured here.");
                else
                    text.Append("  check that the peer's identity is the remote id configured here (and in its certificate), and the pre-shared key or CA on both sides.");
                break;
            }
            case PeerRefusedAuthentication:
                text.Append($"the peer refused our authentication as '{F("LocalId")}' (AUTHENTICATION_FAILED).\n");
                text.Append($"  the peer must expect the identity '{F("LocalId")}' and hold the same pre-shared key (or trust our certificate's CA); its log names the reason.");
                break;
            case ChildSaFailed:
                text.Append($"CHILD_SA {F("Child")} was not established: {F("Reason")}.");
                // A CHILD SA that failed because its IKE SA got no answers is the silent peer's case.
                if (F("Reason").Contains("retransmits", StringComparison.Ordinal)) text.Append(' ').Append(SilenceHint(F("Reason")));
                break;
            case PeerAnsweredError:
                text.Append($"the peer answered {F("Exchange")} with {F("Notify")}. {NotifyHint(F("Notify"))}");
                break;
            case NoConnectionMatches:
                text.Append($"an IKE_SA_INIT from {F("Remote")} to {F("Local")} matched no connection (answered NO_PROPOSAL_CHOSEN): check local_addrs and remote_addrs.");
                break;
            case PeerDead:
            {
                text.Append($"the peer stopped answering: {F("Reason")}. ").Append(SilenceHint(F("Reason")));
                break;
            }
            default:
                text.Append(f.Message);
                break;
        }
    }

    /// <summary>What a peer's silence usually means, by the exchange it stopped answering.</summary>
    private static string SilenceHint(string reason) =>
        reason.Contains("IKE_AUTH", StringComparison.Ordinal)
            ? "IKE_SA_INIT was answered but IKE_AUTH never was: typical of a path that drops large or fragmented UDP datagrams (certificates make IKE_AUTH big, and MTU trouble loses IP fragments); set fragmentation = yes on both sides (RFC 7383) or lower fragment_size."
            : reason.Contains("IKE_SA_INIT", StringComparison.Ordinal)
                ? "Nothing came back at all: the peer is down, its address is wrong, or UDP 500 is filtered on the way."
                : "Usually the peer is down, or a NAT or firewall drops UDP 500/4500 (or a NAT mapping expired: NAT keepalives and dpd_delay keep it).";

    private static string TypeWords(string type) => type switch
    {
        "ENCRYPTION_ALGORITHM" => "encryption algorithm",
        "PSEUDO_RANDOM_FUNCTION" => "PRF",
        "INTEGRITY_ALGORITHM" => "integrity algorithm",
        "KEY_EXCHANGE_METHOD" => "key exchange group",
        "EXTENDED_SEQUENCE_NUMBERS" => "ESN setting",
        _ => "algorithms",
    };

    private static string NotifyHint(string notify) => notify switch
    {
        "TS_UNACCEPTABLE" => "The traffic selectors do not fit: local_ts here must be the peer's remote_ts and the other way round.",
        "AUTHENTICATION_FAILED" => "Check the pre-shared key and both identities.",
        "INVALID_KE_PAYLOAD" => "The peer wants another key exchange group; it is retried with the group asked for.",
        "NO_PROPOSAL_CHOSEN" => "No common proposal: compare both sides' proposals.",
        "INTERNAL_ADDRESS_FAILURE" or "FAILED_CP_REQUIRED" => "The gateway has no virtual IP to give (pool empty or missing).",
        "SINGLE_PAIR_REQUIRED" => "The peer accepts only one selector pair per CHILD SA.",
        _ => "",
    };

    /// <summary>
    /// The pair (one configured, one received proposal) sharing the most transform types, with what differs; null
    /// when a list cannot be read. Proposals are strongSwan's notation, comma-separated, transforms joined by '-'.
    /// </summary>
    internal static string? Nearest(string configured, string received)
    {
        List<Dictionary<string, HashSet<string>>> ours = Split(configured), theirs = Split(received);
        if (ours.Count == 0 || theirs.Count == 0) return null;
        (int score, int o, int t) best = (-1, 0, 0);
        for (int i = 0; i < ours.Count; i++)
            for (int j = 0; j < theirs.Count; j++)
            {
                int score = s_types.Count(type => Same(ours[i], theirs[j], type));
                if (score > best.score) best = (score, i, j);
            }
        Dictionary<string, HashSet<string>> a = ours[best.o], b = theirs[best.t];
        string[] differ = [.. s_types.Where(type => !Same(a, b, type)).Select(type =>
            $"{TypeWords(type)} ({Words(a, type)} here, {Words(b, type)} offered)")];
        string ourText = configured.Split(',')[best.o].Trim(), theirText = received.Split(',')[best.t].Trim();
        return differ.Length == 0
            ? $"{ourText} and {theirText} have the same algorithms"
            : $"{ourText} against {theirText}: differ in {string.Join(", ", differ)}";
    }

    private static readonly string[] s_types = ["ENCRYPTION_ALGORITHM", "INTEGRITY_ALGORITHM", "PSEUDO_RANDOM_FUNCTION", "KEY_EXCHANGE_METHOD"];

    private static bool Same(Dictionary<string, HashSet<string>> a, Dictionary<string, HashSet<string>> b, string type)
    {
        HashSet<string> x = a.GetValueOrDefault(type) ?? [], y = b.GetValueOrDefault(type) ?? [];
        return (x.Count == 0 && y.Count == 0) || x.Overlaps(y);
    }

    private static string Words(Dictionary<string, HashSet<string>> p, string type) =>
        p.GetValueOrDefault(type) is { Count: > 0 } set ? string.Join("/", set) : "none";

    /// <summary>Each proposal's keywords by transform type (through the registry; "TYPE(ID)" tokens by their prefix).</summary>
    private static List<Dictionary<string, HashSet<string>>> Split(string proposals)
    {
        var result = new List<Dictionary<string, HashSet<string>>>();
        foreach (string proposal in proposals.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var byType = new Dictionary<string, HashSet<string>>();
            foreach (string token in proposal.Split('-'))
            {
                string? type = TransformRegistry.TryGet(token, out Transform? t) ? Ikev2.ProposalMatcher.TypeName(t!.Type)
                    : s_types.FirstOrDefault(name => token.StartsWith(name + "(", StringComparison.Ordinal));
                if (type is null || token == "none") continue;
                if (!byType.TryGetValue(type, out HashSet<string>? set)) byType[type] = set = [];
                set.Add(token);
            }
            result.Add(byType);
        }
        return result;
    }
}
