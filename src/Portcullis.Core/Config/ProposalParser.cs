using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Config;

/// <summary>Which SA a proposal is for: the IKE SA (<c>proposals</c>) or an ESP CHILD SA (<c>esp_proposals</c>).</summary>
public enum ProposalKind
{
    /// <summary>IKE SA: encryption, PRF, integrity (unless AEAD) and key exchange.</summary>
    Ike,
    /// <summary>ESP CHILD SA: encryption, integrity (unless AEAD), optional key exchange (PFS), ESN.</summary>
    Esp,
}

/// <summary>
/// Parses strongSwan's proposal syntax: comma-separated proposals, each a <c>-</c>-separated list of algorithm
/// keywords looked up in <see cref="TransformRegistry"/>, checked and completed as strongSwan's
/// <c>proposal_create_from_string</c> does (IKE: PRFs derived from integrity algorithms when none is given,
/// integrity dropped with AEADs; ESP: <c>noesn</c> unless ESN is named). <c>default</c> expands to strongSwan 5.9's
/// two default proposals, restricted to what the registry has and never containing <see cref="Transform.Legacy"/>
/// transforms; legacy transforms named explicitly are accepted (naming them is the opt-in).
/// </summary>
public static class ProposalParser
{
    /// <summary>
    /// Integrity algorithm → the PRF built on the same primitive (IANA IDs: Transform Type 3 → Type 2), which an IKE
    /// proposal without an explicit PRF gets (strongSwan's <c>integ_prf_map</c>).
    /// </summary>
    private static readonly (ushort Integrity, ushort Prf)[] s_integrityToPrf =
    [
        (1, 1),   // HMAC-MD5-96 → PRF_HMAC_MD5
        (2, 2),   // HMAC-SHA1-96 → PRF_HMAC_SHA1
        (5, 4),   // AES-XCBC-96 → PRF_AES128_XCBC
        (8, 8),   // AES-CMAC-96 → PRF_AES128_CMAC
        (12, 5),  // HMAC-SHA2-256-128 → PRF_HMAC_SHA2_256
        (13, 6),  // HMAC-SHA2-384-192 → PRF_HMAC_SHA2_384
        (14, 7),  // HMAC-SHA2-512-256 → PRF_HMAC_SHA2_512
    ];

    // strongSwan 5.9's defaults (proposal.c: proposal_create_default / _default_aead, in its order), as
    // (transform type, IANA ID, key bits). Entries the registry lacks or marks Legacy are left out when built.
    private static readonly (ushort Id, int Bits)[] s_defaultIkePrfs = [(5, 0), (6, 0), (7, 0), (4, 0), (8, 0), (2, 0)];
    private static readonly (ushort Id, int Bits)[] s_defaultIkeKes =
        [(19, 0), (20, 0), (21, 0), (31, 0), (32, 0), (15, 0), (16, 0), (17, 0), (18, 0), (14, 0)];

    private static readonly (TransformType Type, ushort Id, int Bits)[] s_defaultIke =
    [
        .. Triple(TransformType.Encryption, 12), .. Triple(TransformType.Encryption, 13), (TransformType.Encryption, 3, 0),
        (TransformType.Integrity, 12, 0), (TransformType.Integrity, 13, 0), (TransformType.Integrity, 14, 0),
        (TransformType.Integrity, 5, 0), (TransformType.Integrity, 8, 0), (TransformType.Integrity, 2, 0),
        .. s_defaultIkePrfs.Select(p => (TransformType.Prf, p.Id, p.Bits)),
        .. s_defaultIkeKes.Select(k => (TransformType.KeyExchange, k.Id, k.Bits)),
    ];

    private static readonly (TransformType Type, ushort Id, int Bits)[] s_defaultIkeAead =
    [
        .. Triple(TransformType.Encryption, 20), .. Triple(TransformType.Encryption, 16), (TransformType.Encryption, 28, 0),
        .. Triple(TransformType.Encryption, 19), .. Triple(TransformType.Encryption, 18),
        .. Triple(TransformType.Encryption, 15), .. Triple(TransformType.Encryption, 14),
        .. s_defaultIkePrfs.Select(p => (TransformType.Prf, p.Id, p.Bits)),
        .. s_defaultIkeKes.Select(k => (TransformType.KeyExchange, k.Id, k.Bits)),
    ];

    private static readonly (TransformType Type, ushort Id, int Bits)[] s_defaultEspAead =
    [
        .. Triple(TransformType.Encryption, 20), (TransformType.ExtendedSequenceNumbers, 0, 0),
    ];

    private static readonly (TransformType Type, ushort Id, int Bits)[] s_defaultEsp =
    [
        .. Triple(TransformType.Encryption, 12),
        (TransformType.Integrity, 12, 0), (TransformType.Integrity, 13, 0), (TransformType.Integrity, 14, 0),
        (TransformType.Integrity, 2, 0), (TransformType.Integrity, 5, 0),
        (TransformType.ExtendedSequenceNumbers, 0, 0),
    ];

    private static (TransformType, ushort, int)[] Triple(TransformType type, ushort id) => [(type, id, 128), (type, id, 192), (type, id, 256)];

    /// <summary>
    /// strongSwan's <c>default</c> for the kind: for IKE the classic proposal, then the AEAD one; for ESP the AEAD
    /// proposal, then the classic one (strongSwan 5.9 prefers AEAD for ESP only).
    /// </summary>
    public static IReadOnlyList<Proposal> Default(ProposalKind kind) => kind == ProposalKind.Ike
        ? [Build(s_defaultIke), Build(s_defaultIkeAead)]
        : [Build(s_defaultEspAead), Build(s_defaultEsp)];

    private static Proposal Build((TransformType Type, ushort Id, int Bits)[] entries)
    {
        var transforms = new List<Transform>();
        foreach ((TransformType type, ushort id, int bits) in entries)
        {
            if (TransformRegistry.TryGet(type, id, bits, out Transform? t) && t is { Legacy: false } && !transforms.Contains(t))
                transforms.Add(t);
        }
        return new Proposal(transforms);
    }

    /// <summary>
    /// Parses a comma-separated list of proposals (whitespace around commas ignored). Returns the proposals that
    /// parsed and one message per problem, e.g. <c>unknown algorithm 'aes999' in proposal 'aes999-sha256-modp2048'</c>.
    /// </summary>
    public static (IReadOnlyList<Proposal> Proposals, IReadOnlyList<string> Errors) Parse(string text, ProposalKind kind)
    {
        var proposals = new List<Proposal>();
        var errors = new List<string>();
        int empty = 0;
        foreach (string raw in text.Split(','))
        {
            string item = raw.Trim();
            if (item.Length == 0)
            {
                // One message for all of them: quoting the whole list once per empty item grew quadratically.
                if (empty++ == 0) errors.Add($"empty proposal in '{Shorten(text)}'");
                continue;
            }
            if (item.Equals("default", StringComparison.OrdinalIgnoreCase))
            {
                proposals.AddRange(Default(kind));
                continue;
            }
            if (TryParseOne(item, kind, out Proposal? proposal, out string? error)) proposals.Add(proposal!);
            else errors.Add(error!);
        }
        return (proposals, errors);
    }

    /// <summary>At most 80 characters of a proposal list for an error message.</summary>
    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static bool TryParseOne(string text, ProposalKind kind, out Proposal? proposal, out string? error)
    {
        proposal = null;
        string what = kind == ProposalKind.Ike ? "IKE" : "ESP";
        var transforms = new List<Transform>();
        foreach (string raw in text.Split('-'))
        {
            string keyword = raw.Trim();
            if (keyword.Length == 0)
            {
                error = $"empty algorithm in proposal '{text}'";
                return false;
            }
            if (keyword.Length > 4 && keyword.StartsWith("ke", StringComparison.OrdinalIgnoreCase) && char.IsAsciiDigit(keyword[2]) && keyword[3] == '_')
            {
                error = $"additional key exchanges ('{keyword}') are not supported by Portcullis yet, in proposal '{text}'";
                return false;
            }
            if (!TransformRegistry.TryGet(keyword, out Transform? t) || t is null)
            {
                error = $"unknown algorithm '{keyword}' in proposal '{text}'";
                return false;
            }
            if (kind == ProposalKind.Ike ? !t.ForIke : !t.ForEsp)
            {
                error = $"'{keyword}' ({t.Kind}) cannot be used in {what} proposals, in proposal '{text}'";
                return false;
            }
            if (t is KeyExchangeTransform { IsKem: true })
            {
                error = $"'{keyword}' is a KEM, usable only as an additional key exchange, which Portcullis does not support yet, in proposal '{text}'";
                return false;
            }
            if (!transforms.Contains(t)) transforms.Add(t);
        }

        List<EncryptionTransform> encryption = transforms.OfType<EncryptionTransform>().ToList();
        if (encryption.Count == 0)
        {
            error = $"an encryption algorithm is mandatory in {what} proposals, in proposal '{text}'";
            return false;
        }
        bool anyAead = encryption.Any(e => e.IsAead), allAead = encryption.All(e => e.IsAead);
        if (anyAead && !allAead)
        {
            error = $"classic and combined-mode (AEAD) encryption algorithms can't be mixed in one proposal, in proposal '{text}'";
            return false;
        }

        if (kind == ProposalKind.Ike)
        {
            if (!transforms.Any(t => t.Type == TransformType.Prf))
            {
                // strongSwan: no explicit PRF → the PRFs of the integrity algorithms (also with an AEAD, whose
                // integrity algorithms are then dropped below).
                foreach (IntegrityTransform integrity in transforms.OfType<IntegrityTransform>().ToList())
                {
                    foreach ((ushort integ, ushort prf) in s_integrityToPrf)
                    {
                        if (integ == integrity.Id && TransformRegistry.TryGet(TransformType.Prf, prf, 0, out Transform? p) && p is not null && !transforms.Contains(p))
                            transforms.Add(p);
                    }
                }
            }
            if (!transforms.Any(t => t.Type == TransformType.Prf))
            {
                error = allAead
                    ? $"a PRF is mandatory in IKE proposals with AEAD algorithms (add e.g. a prf… keyword), in proposal '{text}'"
                    : $"a PRF or integrity algorithm is mandatory in IKE proposals, in proposal '{text}'";
                return false;
            }
            if (!transforms.Any(t => t.Type == TransformType.KeyExchange))
            {
                error = $"a key exchange method is mandatory in IKE proposals, in proposal '{text}'";
                return false;
            }
        }

        if (allAead) transforms.RemoveAll(t => t.Type == TransformType.Integrity);
        else if (!transforms.Any(t => t.Type == TransformType.Integrity))
        {
            error = $"an integrity algorithm is mandatory in {what} proposals with classic (non-AEAD) encryption, in proposal '{text}'";
            return false;
        }

        if (kind == ProposalKind.Esp && !transforms.Any(t => t.Type == TransformType.ExtendedSequenceNumbers))
        {
            if (TransformRegistry.TryGet(TransformType.ExtendedSequenceNumbers, 0, 0, out Transform? noEsn) && noEsn is not null)
                transforms.Add(noEsn);
        }

        proposal = new Proposal(transforms);
        error = null;
        return true;
    }
}
