using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// Converts configured proposals to SA payload proposals and selects among received ones (RFC 7296 §2.7, §3.3.6).
/// Selection walks the configured proposals in order and, within each, the configured transforms in order: the
/// local configuration's preference wins (strongSwan's default, prefer_configured_proposals).
/// </summary>
public static class ProposalMatcher
{
    private static readonly TransformType[] s_wireOrder = [TransformType.Encryption, TransformType.Prf, TransformType.Integrity, TransformType.KeyExchange, TransformType.ExtendedSequenceNumbers];

    /// <summary>The SA payload proposals for configured proposals, numbered from 1.</summary>
    public static IReadOnlyList<WireProposal> ToWire(IReadOnlyList<Proposal> proposals, ProtocolId protocol, byte[] spi, bool withKeyExchange = true)
    {
        var list = new List<WireProposal>();
        for (int i = 0; i < proposals.Count; i++)
        {
            var transforms = new List<WireTransform>();
            foreach (TransformType type in s_wireOrder)
            {
                if (type == TransformType.KeyExchange && !withKeyExchange) continue;
                foreach (Transform t in proposals[i].OfType(type)) transforms.Add(new WireTransform(t.Type, t.Id, t.KeyBits));
            }
            list.Add(new WireProposal((byte)(i + 1), protocol, spi, transforms));
        }
        return list;
    }

    /// <summary>
    /// Selects a proposal. <paramref name="ignoreKeyExchange"/> drops KE transforms on both sides (the first CHILD SA,
    /// created with IKE_AUTH, never does a key exchange of its own). On failure, <paramref name="mismatch"/> names the
    /// transform type that had no match in the closest pair.
    /// </summary>
    public static NegotiatedProposal? Select(IReadOnlyList<Proposal> configured, IReadOnlyList<WireProposal> received, ProtocolId protocol,
        bool ignoreKeyExchange, out string? mismatch)
    {
        mismatch = null;
        int bestDepth = -1;
        foreach (Proposal mine in configured)
        {
            foreach (WireProposal theirs in received)
            {
                if (theirs.Protocol != protocol) continue;
                var picks = new Dictionary<TransformType, Transform?>();
                int depth = 0;
                TransformType? failed = null;
                foreach (TransformType type in s_wireOrder)
                {
                    if (type == TransformType.KeyExchange && ignoreKeyExchange) continue;
                    List<Transform> ours = mine.OfType(type).ToList();
                    List<WireTransform> offered = theirs.Transforms.Where(t => t.Type == type).ToList();
                    bool theyOfferNone = offered.Count == 0 || offered.All(t => t.Id == 0 && type is TransformType.KeyExchange or TransformType.Integrity);
                    if (ours.Count == 0)
                    {
                        if (!theyOfferNone && !(type == TransformType.ExtendedSequenceNumbers && offered.Any(t => t.Id == 0))) { failed = type; break; }
                        picks[type] = null;
                    }
                    else
                    {
                        Transform? pick = ours.FirstOrDefault(t => offered.Any(o => o.Id == t.Id && o.KeyBits == t.KeyBits));
                        if (pick is null)
                        {
                            // "NONE" on their side is acceptable where ours lists only optional transforms (ESP PFS).
                            failed = type;
                            break;
                        }
                        picks[type] = pick;
                    }
                    depth++;
                }
                if (failed is null)
                {
                    return new NegotiatedProposal
                    {
                        Number = theirs.Number,
                        Spi = theirs.Spi,
                        Protocol = protocol,
                        Encryption = picks.GetValueOrDefault(TransformType.Encryption) as EncryptionTransform,
                        Prf = picks.GetValueOrDefault(TransformType.Prf) as PrfTransform,
                        Integrity = picks.GetValueOrDefault(TransformType.Integrity) as IntegrityTransform,
                        KeyExchange = picks.GetValueOrDefault(TransformType.KeyExchange) as KeyExchangeTransform,
                        Esn = picks.GetValueOrDefault(TransformType.ExtendedSequenceNumbers) as EsnTransform,
                    };
                }
                if (depth > bestDepth)
                {
                    bestDepth = depth;
                    mismatch = TypeName(failed.Value);
                }
            }
        }
        mismatch ??= received.Any(p => p.Protocol == protocol) ? "ENCRYPTION_ALGORITHM" : $"protocol {protocol}";
        return null;
    }

    /// <summary>
    /// The transforms the peer offered for <paramref name="protocol"/> that no configured proposal has, per transform
    /// type in wire order, each once (a KE or integrity "NONE" is no algorithm; KE is skipped when
    /// <paramref name="ignoreKeyExchange"/>).
    /// </summary>
    public static IReadOnlyList<WireTransform> Lacking(IReadOnlyList<Proposal> configured, IReadOnlyList<WireProposal> received, ProtocolId protocol, bool ignoreKeyExchange)
    {
        var ours = new HashSet<WireTransform>(configured.SelectMany(p => p.Transforms).Select(t => new WireTransform(t.Type, t.Id, t.KeyBits)));
        var lacking = new List<WireTransform>();
        foreach (TransformType type in s_wireOrder)
        {
            if (type == TransformType.KeyExchange && ignoreKeyExchange) continue;
            foreach (WireTransform t in received.Where(p => p.Protocol == protocol).SelectMany(p => p.Transforms).Where(t => t.Type == type))
            {
                if (t.Id == 0 && type is TransformType.KeyExchange or TransformType.Integrity) continue;
                if (!ours.Contains(t) && !lacking.Contains(t)) lacking.Add(t);
            }
        }
        return lacking;
    }

    /// <summary>
    /// One clause for the "no proposal chosen" line: what the connection lacks of the peer's offer and, when the offer
    /// is a known built-in client's default list (or one of those profiles would accept it) that the connection's
    /// compat setting does not include, which setting would accept it.
    /// </summary>
    public static string ExplainMismatch(string connection, IReadOnlyList<Proposal> configured, IReadOnlyList<NativeClientProfile> compat,
        IReadOnlyList<WireProposal> received, ProtocolId protocol, bool ignoreKeyExchange)
    {
        IReadOnlyList<WireTransform> lacking = Lacking(configured, received, protocol, ignoreKeyExchange);
        string text = lacking.Count == 0
            ? $"connection {connection} has every algorithm the peer offered, but not together in one proposal"
            : $"connection {connection} lacks {string.Join(", ", lacking.Select(Name))} that the peer offered";
        ProposalKind kind = protocol == ProtocolId.Ike ? ProposalKind.Ike : ProposalKind.Esp;
        List<NativeClientProfile> others = NativeClientProfiles.All.Where(p => !compat.Contains(p)).ToList();
        List<NativeClientProfile> exact = others.Where(p => SameList(p.Proposals(kind), received, protocol, ignoreKeyExchange)).ToList();
        List<NativeClientProfile> accepting = others.Where(p => Accepts(p.AcceptedProposals(kind), received, protocol, ignoreKeyExchange)).ToList();
        if (exact.Count > 0 && exact.All(accepting.Contains))
            return $"{text} (this is {Possessive(exact[0].DisplayName)} default list; set compat = {string.Join(",", exact.Select(p => p.Name))} or {NativeClientProfiles.AllKeyword} to accept it)";
        if (accepting.Count > 0)
            return $"{text} (compat = {string.Join(",", accepting.Select(p => p.Name))} or {NativeClientProfiles.AllKeyword} would accept it)";
        return text;
    }

    private static bool Accepts(IReadOnlyList<Proposal> proposals, IReadOnlyList<WireProposal> received, ProtocolId protocol, bool ignoreKeyExchange) =>
        Select(proposals, received, protocol, ignoreKeyExchange, out _) is { } chosen
        && (protocol != ProtocolId.Ike || chosen is { Prf: not null, KeyExchange: not null });

    /// <summary>The same proposals as the profile's list, each compared as a set of transforms, duplicates dropped.</summary>
    private static bool SameList(IReadOnlyList<Proposal> profile, IReadOnlyList<WireProposal> received, ProtocolId protocol, bool ignoreKeyExchange)
    {
        bool Keep(WireTransform t) => !(t.Type == TransformType.KeyExchange && (ignoreKeyExchange || t.Id == 0));
        List<HashSet<WireTransform>> Distinct(IEnumerable<IEnumerable<WireTransform>> lists)
        {
            var result = new List<HashSet<WireTransform>>();
            foreach (IEnumerable<WireTransform> list in lists)
            {
                var set = new HashSet<WireTransform>(list.Where(Keep));
                if (!result.Any(r => r.SetEquals(set))) result.Add(set);
            }
            return result;
        }
        List<HashSet<WireTransform>> ours = Distinct(profile.Select(p => p.Transforms.Select(t => new WireTransform(t.Type, t.Id, t.KeyBits))));
        List<HashSet<WireTransform>> theirs = Distinct(received.Where(p => p.Protocol == protocol).Select(p => p.Transforms));
        return ours.Count == theirs.Count && ours.Zip(theirs).All(pair => pair.First.SetEquals(pair.Second));
    }

    private static string Possessive(string name) => name.EndsWith('s') ? name + "'" : name + "'s";

    /// <summary>The RFC's name of a transform (with its key length where it has one), or TYPE(ID) when unknown.</summary>
    private static string Name(WireTransform t)
    {
        if (TransformRegistry.TryGet(t.Type, t.Id, t.KeyBits, out Transform? known))
            return t.KeyBits != 0 ? $"{known!.Name}_{t.KeyBits}" : known!.Name;
        return t.KeyBits != 0 ? $"{TypeName(t.Type)}({t.Id})/{t.KeyBits}" : $"{TypeName(t.Type)}({t.Id})";
    }

    /// <summary>strongSwan-style text of received proposals (unknown transforms as TYPE(ID)), for logs.</summary>
    public static string Describe(IReadOnlyList<WireProposal> proposals) =>
        string.Join(", ", proposals.Select(p => string.Join('-', p.Transforms.Select(Describe))));

    /// <summary>strongSwan-style text of configured proposals.</summary>
    public static string Describe(IReadOnlyList<Proposal> proposals) => string.Join(", ", proposals.Select(p => p.ToString()));

    private static string Describe(WireTransform t)
    {
        if (TransformRegistry.TryGet(t.Type, t.Id, t.KeyBits, out Transform? known)) return known!.Keyword;
        if (t.Type == TransformType.KeyExchange && t.Id == 0) return "none";
        return t.KeyBits != 0 ? $"{TypeName(t.Type)}({t.Id})/{t.KeyBits}" : $"{TypeName(t.Type)}({t.Id})";
    }

    /// <summary>The RFC's name of a transform type.</summary>
    public static string TypeName(TransformType type) => type switch
    {
        TransformType.Encryption => "ENCRYPTION_ALGORITHM",
        TransformType.Prf => "PSEUDO_RANDOM_FUNCTION",
        TransformType.Integrity => "INTEGRITY_ALGORITHM",
        TransformType.KeyExchange => "KEY_EXCHANGE_METHOD",
        TransformType.ExtendedSequenceNumbers => "EXTENDED_SEQUENCE_NUMBERS",
        _ => type.ToString(),
    };
}
