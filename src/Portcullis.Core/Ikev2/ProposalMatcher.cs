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
                        Encryption = (EncryptionTransform)picks[TransformType.Encryption]!,
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
