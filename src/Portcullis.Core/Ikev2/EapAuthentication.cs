using System.Security.Cryptography;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// The AUTH payloads that close an EAP authentication (RFC 7296 §2.16): each side sends
/// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), &lt;SignedOctets&gt;), the shared secret being the EAP method's
/// MSK, or SK_pi (initiator) / SK_pr (responder) for a method that makes no key. The signed octets are the ones a
/// PSK or signature would cover (RealMessage | NonceOfTheOtherSide | prf(SK_p, RestOfIDPayload)); the caller builds
/// them. The whole MSK is the key, whatever its length (RFC 7296 §2.16; the PRF adapts it).
/// </summary>
public static class EapAuthentication
{
    private static ReadOnlySpan<byte> KeyPad => "Key Pad for IKEv2"u8;

    /// <summary>AUTH data keyed by the EAP MSK.</summary>
    /// <param name="prf">The IKE SA's PRF.</param>
    /// <param name="msk">The MSK from the EAP method (64 bytes for EAP-MSCHAPv2).</param>
    /// <param name="signedOctets">This side's signed octets.</param>
    public static byte[] ComputeAuth(PrfTransform prf, ReadOnlySpan<byte> msk, ReadOnlySpan<byte> signedOctets)
    {
        ArgumentNullException.ThrowIfNull(prf);
        using IPrf secretPrf = prf.Create(msk);
        byte[] padKey = GC.AllocateArray<byte>(secretPrf.OutputSize, pinned: true);
        try
        {
            secretPrf.Compute(KeyPad, padKey);
            using IPrf authPrf = prf.Create(padKey);
            var auth = new byte[authPrf.OutputSize];
            authPrf.Compute(signedOctets, auth);
            return auth;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padKey);
        }
    }

    /// <summary>
    /// AUTH data for an EAP method that produced no MSK: the same computation keyed by SK_pi (initiator) or SK_pr
    /// (responder), the key of the side whose signed octets these are.
    /// </summary>
    public static byte[] ComputeAuthWithoutMsk(PrfTransform prf, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> signedOctets) =>
        ComputeAuth(prf, skP, signedOctets);

    /// <summary>Constant-time comparison of received AUTH data with the expected value.</summary>
    public static bool Verify(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        CryptographicOperations.FixedTimeEquals(expected, received);
}
