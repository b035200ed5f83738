using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Config;

/// <summary>
/// The default proposals against RFC 8247 (IKEv2) and RFC 8221 (ESP): none of DES, 3DES, Blowfish, NULL, MD5,
/// HMAC-SHA1-96 integrity or MODP groups of 1536 bits and less (nor the MODP groups 22–24 with small subgroups); the
/// MUST algorithms present. Each refused transform is marked legacy in the registry, which keeps it out of what we
/// propose and accept unless a configuration names it.
/// </summary>
public class DefaultProposalsRfcTests
{
    /// <summary>(type, IANA ID, why) for what RFC 8247 §3 and RFC 8221 §5–6 forbid or discourage.</summary>
    public static TheoryData<TransformType, ushort, string> Discouraged => new()
    {
        { TransformType.Encryption, 2, "ENCR_DES: MUST NOT (RFC 8247 §3.1, RFC 8221 §5)" },
        { TransformType.Encryption, 3, "ENCR_3DES: SHOULD NOT in ESP (RFC 8221 §5), MAY only for IKE interop (RFC 8247 §3.1)" },
        { TransformType.Encryption, 7, "ENCR_BLOWFISH: MUST NOT (RFC 8221 §5)" },
        { TransformType.Encryption, 11, "ENCR_NULL: not for confidentiality; ESP only when named (RFC 8221 §5)" },
        { TransformType.Integrity, 1, "AUTH_HMAC_MD5_96: MUST NOT (RFC 8247 §3.4, RFC 8221 §6)" },
        { TransformType.Integrity, 2, "AUTH_HMAC_SHA1_96: MUST- (being phased out), not offered by default" },
        { TransformType.Prf, 1, "PRF_HMAC_MD5: MUST NOT (RFC 8247 §3.3)" },
        { TransformType.KeyExchange, 1, "768-bit MODP: MUST NOT (RFC 8247 §3.5)" },
        { TransformType.KeyExchange, 2, "1024-bit MODP: MUST NOT (RFC 8247 §3.5)" },
        { TransformType.KeyExchange, 5, "1536-bit MODP: SHOULD NOT (RFC 8247 §3.5)" },
        { TransformType.KeyExchange, 22, "1024-bit MODP with 160-bit subgroup: SHOULD NOT (RFC 8247 §3.5)" },
        { TransformType.KeyExchange, 23, "2048-bit MODP with 224-bit subgroup: SHOULD NOT (RFC 8247 §3.5)" },
        { TransformType.KeyExchange, 24, "2048-bit MODP with 256-bit subgroup: SHOULD NOT (RFC 8247 §3.5)" },
    };

    private static IEnumerable<Transform> Defaults() =>
        ProposalParser.Default(ProposalKind.Ike).Concat(ProposalParser.Default(ProposalKind.Esp)).SelectMany(p => p.Transforms);

    [Theory]
    [MemberData(nameof(Discouraged))]
    public void Defaults_leave_out_what_the_rfcs_forbid_or_discourage(TransformType type, ushort id, string why)
    {
        Assert.DoesNotContain(Defaults(), t => t.Type == type && t.Id == id);
        // Where the registry has it, it is legacy: proposed or accepted only when a configuration names it.
        foreach (Transform t in TransformRegistry.All.Where(t => t.Type == type && t.Id == id)) Assert.True(t.Legacy, $"{t.Keyword} not legacy: {why}");
    }

    [Fact]
    public void Defaults_hold_the_must_algorithms()
    {
        IReadOnlyList<Proposal> ike = ProposalParser.Default(ProposalKind.Ike), esp = ProposalParser.Default(ProposalKind.Esp);
        bool Has(IEnumerable<Proposal> ps, TransformType type, ushort id, int bits = 0) =>
            ps.SelectMany(p => p.Transforms).Any(t => t.Type == type && t.Id == id && (bits == 0 || t.KeyBits == bits));
        // RFC 8247: ENCR_AES_CBC (MUST), AES-GCM-16 and ChaCha20-Poly1305 (SHOULD), PRF_HMAC_SHA2_256 and
        // AUTH_HMAC_SHA2_256_128 (MUST), 2048-bit MODP (MUST) and 256-bit ECP (SHOULD).
        Assert.True(Has(ike, TransformType.Encryption, 12, 128) && Has(ike, TransformType.Encryption, 12, 256));
        Assert.True(Has(ike, TransformType.Encryption, 20, 256) && Has(ike, TransformType.Encryption, 28));
        Assert.True(Has(ike, TransformType.Prf, 5) && Has(ike, TransformType.Integrity, 12));
        Assert.True(Has(ike, TransformType.KeyExchange, 14) && Has(ike, TransformType.KeyExchange, 19));
        // RFC 8221: ENCR_AES_GCM_16 and ENCR_AES_CBC (MUST), AUTH_HMAC_SHA2_256_128 (MUST).
        Assert.True(Has(esp, TransformType.Encryption, 20, 128) && Has(esp, TransformType.Encryption, 12, 128));
        Assert.True(Has(esp, TransformType.Integrity, 12));
    }

    [Fact]
    public void A_configuration_that_names_a_legacy_algorithm_gets_it()
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse("3des-sha1-modp1024", ProposalKind.Ike);
        Assert.Empty(errors);
        Assert.All(Assert.Single(proposals).Transforms.Where(t => t.Type != TransformType.Prf), t => Assert.True(t.Legacy, t.Keyword));
    }
}
