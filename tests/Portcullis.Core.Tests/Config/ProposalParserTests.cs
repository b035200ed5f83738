using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Config;

public class ProposalParserTests
{
    private static Proposal One(string text, ProposalKind kind)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
        Assert.Empty(errors);
        return Assert.Single(proposals);
    }

    private static string Error(string text, ProposalKind kind)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
        Assert.Empty(proposals);
        return Assert.Single(errors);
    }

    [Theory]
    [InlineData("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")]
    [InlineData("aes256-sha256-modp2048", "aes256-sha256-modp2048-prfsha256")]
    [InlineData("chacha20poly1305-prfsha256-curve25519", "chacha20poly1305-prfsha256-curve25519")]
    [InlineData("aes256gcm16-prfsha384-ecp384", "aes256gcm16-prfsha384-ecp384")]
    [InlineData("aes128-sha1-modp2048", "aes128-sha1-modp2048-prfsha1")]
    // strongSwan derives the PRF from an integrity keyword even with an AEAD, then drops the integrity algorithm.
    [InlineData("aes256gcm16-sha384-ecp384", "aes256gcm16-ecp384-prfsha384")]
    [InlineData("aes128-aes256-sha256-aesxcbc-ecp256-modp3072", "aes128-aes256-sha256-aesxcbc-ecp256-modp3072-prfsha256-prfaesxcbc")]
    [InlineData("AES128GCM128-PRFSHA256-x25519", "aes128gcm16-prfsha256-curve25519")]
    [InlineData("aes-sha-modp2048", "aes128-sha1-modp2048-prfsha1")]
    public void IkeProposals(string text, string expected) => Assert.Equal(expected, One(text, ProposalKind.Ike).ToString());

    [Theory]
    [InlineData("aes128gcm16-prfsha256-ecp256", "a PRF")]
    [InlineData("aes128gcm16", "aes128gcm16-noesn")]
    [InlineData("aes256-sha256-modp2048", "aes256-sha256-modp2048-noesn")]
    [InlineData("aes256-sha256", "aes256-sha256-noesn")]
    [InlineData("chacha20poly1305", "chacha20poly1305-noesn")]
    [InlineData("aes256gcm16", "aes256gcm16-noesn")]
    [InlineData("aes128-sha1-modp2048", "aes128-sha1-modp2048-noesn")]
    [InlineData("aes128-sha1", "aes128-sha1-noesn")]
    [InlineData("aes128gcm16-esn-noesn", "aes128gcm16-esn-noesn")]
    [InlineData("aes128gmac", "aes128gmac-noesn")]
    public void EspProposals(string text, string expected)
    {
        if (expected == "a PRF")
        {
            Assert.Contains("'prfsha256' (prf) cannot be used in ESP proposals", Error(text, ProposalKind.Esp));
            return;
        }
        Assert.Equal(expected, One(text, ProposalKind.Esp).ToString());
    }

    [Fact]
    public void ParsedTransformsAreTheRegistryEntries()
    {
        Proposal p = One("aes256-sha256-modp2048", ProposalKind.Ike);
        EncryptionTransform enc = Assert.Single(p.Encryption);
        Assert.Equal(12, enc.Id);
        Assert.Equal(256, enc.KeyBits);
        Assert.Equal(12, Assert.Single(p.Integrity).Id);
        Assert.Equal(5, Assert.Single(p.Prf).Id);      // PRF_HMAC_SHA2_256, derived
        Assert.Equal(14, Assert.Single(p.KeyExchange).Id);
        Assert.Empty(p.Esn);

        Proposal esp = One("aes128gcm16", ProposalKind.Esp);
        Assert.Equal(20, Assert.Single(esp.Encryption).Id);
        Assert.False(Assert.Single(esp.Esn).Enabled);
    }

    [Theory]
    [InlineData("aes128gcm16", ProposalKind.Ike, "a PRF is mandatory in IKE proposals with AEAD algorithms")]
    [InlineData("chacha20poly1305", ProposalKind.Ike, "a PRF is mandatory in IKE proposals with AEAD algorithms")]
    [InlineData("aes256gcm16", ProposalKind.Ike, "a PRF is mandatory in IKE proposals with AEAD algorithms")]
    [InlineData("aes256-sha256", ProposalKind.Ike, "a key exchange method is mandatory in IKE proposals")]
    [InlineData("aes128-sha1", ProposalKind.Ike, "a key exchange method is mandatory in IKE proposals")]
    [InlineData("aes999-sha256-modp2048", ProposalKind.Ike, "unknown algorithm 'aes999' in proposal 'aes999-sha256-modp2048'")]
    [InlineData("aes128-sha256-modp2047", ProposalKind.Esp, "unknown algorithm 'modp2047' in proposal 'aes128-sha256-modp2047'")]
    [InlineData("aes128-aes128gcm16-sha256-modp2048", ProposalKind.Ike, "classic and combined-mode (AEAD) encryption algorithms can't be mixed")]
    [InlineData("aes128-aes128gcm16", ProposalKind.Esp, "classic and combined-mode (AEAD) encryption algorithms can't be mixed")]
    [InlineData("sha256-prfsha256-modp2048", ProposalKind.Ike, "an encryption algorithm is mandatory in IKE proposals")]
    [InlineData("sha256", ProposalKind.Esp, "an encryption algorithm is mandatory in ESP proposals")]
    [InlineData("aes128-prfsha256-modp2048", ProposalKind.Ike, "an integrity algorithm is mandatory in IKE proposals")]
    [InlineData("aes128", ProposalKind.Esp, "an integrity algorithm is mandatory in ESP proposals")]
    [InlineData("aes128gcm16-prfsha256-ecp256-esn", ProposalKind.Ike, "'esn' (esn) cannot be used in IKE proposals")]
    [InlineData("null-sha256-prfsha256-ecp256", ProposalKind.Ike, "'null' (encryption) cannot be used in IKE proposals")]
    [InlineData("aes128gcm16-prfsha256-mlkem768", ProposalKind.Ike, "'mlkem768' is a KEM")]
    [InlineData("aes128gcm16-prfsha256-ecp256-ke1_mlkem768", ProposalKind.Ike, "additional key exchanges ('ke1_mlkem768')")]
    [InlineData("aes128--sha256", ProposalKind.Esp, "empty algorithm in proposal 'aes128--sha256'")]
    public void Refusals(string text, ProposalKind kind, string message) => Assert.Contains(message, Error(text, kind));

    [Fact]
    public void ListsAreCommaSeparatedAndEachErrorIsReported()
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) =
            ProposalParser.Parse(" aes128gcm16-prfsha256-ecp256 ,aes256-sha256-modp2048 , aes999-sha1-ecp256, foo", ProposalKind.Ike);
        Assert.Equal(["aes128gcm16-prfsha256-ecp256", "aes256-sha256-modp2048-prfsha256"], proposals.Select(p => p.ToString()));
        Assert.Equal(2, errors.Count);
        Assert.Equal("unknown algorithm 'aes999' in proposal 'aes999-sha1-ecp256'", errors[0]);
        Assert.Equal("unknown algorithm 'foo' in proposal 'foo'", errors[1]);
    }

    [Fact]
    public void DefaultIkeIsStrongSwansClassicThenAeadProposalWithoutLegacyTransforms()
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse("default", ProposalKind.Ike);
        Assert.Empty(errors);
        Assert.Equal(2, proposals.Count);
        const string prfs = "prfsha256-prfsha384-prfsha512-prfaesxcbc-prfaescmac-prfsha1";
        const string kes = "ecp256-ecp384-ecp521-curve25519-curve448-modp3072-modp4096-modp6144-modp8192-modp2048";
        Assert.Equal($"aes128-aes192-aes256-aes128ctr-aes192ctr-aes256ctr-sha256-sha384-sha512-aesxcbc-aescmac-{prfs}-{kes}", proposals[0].ToString());
        Assert.Equal("aes128gcm16-aes192gcm16-aes256gcm16-aes128ccm16-aes192ccm16-aes256ccm16-chacha20poly1305-"
            + "aes128gcm12-aes192gcm12-aes256gcm12-aes128gcm8-aes192gcm8-aes256gcm8-"
            + $"aes128ccm12-aes192ccm12-aes256ccm12-aes128ccm8-aes192ccm8-aes256ccm8-{prfs}-{kes}", proposals[1].ToString());
        Assert.All(proposals.SelectMany(p => p.Transforms), t => Assert.False(t.Legacy, t.Keyword));
        Assert.All(proposals.SelectMany(p => p.Transforms), t => Assert.True(t.ForIke, t.Keyword));
    }

    [Fact]
    public void DefaultEspIsAeadFirstThenClassicWithNoEsn()
    {
        IReadOnlyList<Proposal> proposals = ProposalParser.Default(ProposalKind.Esp);
        Assert.Equal(["aes128gcm16-aes192gcm16-aes256gcm16-noesn", "aes128-aes192-aes256-sha256-sha384-sha512-aesxcbc-noesn"],
            proposals.Select(p => p.ToString()));
        Assert.All(proposals.SelectMany(p => p.Transforms), t => Assert.False(t.Legacy, t.Keyword));
        Assert.All(proposals.SelectMany(p => p.Transforms), t => Assert.NotEqual(TransformType.Prf, t.Type));
    }

    [Fact]
    public void EmptyProposalsGiveOneShortErrorWhateverTheirNumber()
    {
        // Found by the fuzzer (proposals): each empty item quoted the whole list, 125 MB for 5,600 commas.
        string text = "aes128-sha256-modp2048" + new string(',', 5000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, ProposalKind.Ike);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Single(proposals);
        Assert.Equal($"empty proposal in '{text[..77]}...'", Assert.Single(errors));
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated for a {text.Length}-character list");
    }

    [Fact]
    public void DefaultCanBeCombinedWithExplicitProposals()
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse("aes128-sha1-noesn, DEFAULT", ProposalKind.Esp);
        Assert.Empty(errors);
        Assert.Equal(3, proposals.Count);
        Assert.Equal("aes128-sha1-noesn", proposals[0].ToString());
        Assert.True(proposals[0].Integrity.Single().Legacy); // named explicitly: accepted
    }
}
