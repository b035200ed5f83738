using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Tests.Eap;

/// <summary>AUTH from the EAP MSK (RFC 7296 §2.16).</summary>
public class EapAuthenticationTests
{
    private static readonly byte[] Octets = Enumerable.Range(0, 300).Select(i => (byte)(i * 13)).ToArray();

    private static byte[] Msk(int seed)
    {
        var msk = new byte[64];
        new Random(seed).NextBytes(msk.AsSpan(0, 32));
        return msk;
    }

    [Fact]
    public void IsPrfOfPrfKeyPadAsWrittenOut()
    {
        byte[] msk = Msk(1);
        byte[] key = HMACSHA256.HashData(msk, "Key Pad for IKEv2"u8);
        byte[] expected = HMACSHA256.HashData(key, Octets);
        Assert.Equal(expected, EapAuthentication.ComputeAuth(TransformRegistry.Get<PrfTransform>("prfsha256"), msk, Octets));
    }

    [Fact]
    public void MatchesThePskComputationWithTheMskAsSecret()
    {
        PrfTransform prf = TransformRegistry.Get<PrfTransform>("prfsha384");
        byte[] realMessage = Octets[..200], nonce = Octets[200..232], skP = Octets[232..280], idBody = [2, 0, 0, 0, .. "gw"u8];
        using var idPrf = prf.Create(skP);
        var macedId = new byte[idPrf.OutputSize];
        idPrf.Compute(idBody, macedId);
        byte[] signed = [.. realMessage, .. nonce, .. macedId];
        byte[] msk = Msk(2);
        Assert.Equal(PskAuthentication.Compute(prf, msk, realMessage, nonce, skP, idBody), EapAuthentication.ComputeAuth(prf, msk, signed));
        Assert.Equal(EapAuthentication.ComputeAuth(prf, skP, signed), EapAuthentication.ComputeAuthWithoutMsk(prf, skP, signed));
    }

    [Theory]
    // HMAC pads its key with zeros to the block size, so the 32 zero bytes of the MS-CHAPv2 MSK change nothing...
    [InlineData("prfsha1", true)]
    [InlineData("prfsha256", true)]
    [InlineData("prfsha512", true)]
    // ...but the AES PRFs hash a key longer than 16 bytes first, so there the 64-byte MSK is the only one that interoperates.
    [InlineData("prfaesxcbc", false)]
    [InlineData("prfaescmac", false)]
    public void ZeroPaddingOfTheMskMattersOnlyForAesPrfs(string keyword, bool same)
    {
        PrfTransform prf = TransformRegistry.Get<PrfTransform>(keyword);
        byte[] msk = Msk(3);
        byte[] full = EapAuthentication.ComputeAuth(prf, msk, Octets), halved = EapAuthentication.ComputeAuth(prf, msk[..32], Octets);
        Assert.Equal(same, full.AsSpan().SequenceEqual(halved));
        Assert.True(EapAuthentication.Verify(full, full.ToArray()));
        Assert.False(EapAuthentication.Verify(full, full[..^1]));
    }
}
