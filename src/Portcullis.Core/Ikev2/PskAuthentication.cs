using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// AUTH data with a pre-shared key (RFC 7296 §2.15):
/// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), &lt;SignedOctets&gt;), where SignedOctets =
/// RealMessage | NonceOfTheOtherSide | prf(SK_p, RestOfIDPayload).
/// </summary>
public static class PskAuthentication
{
    private static readonly byte[] s_keyPad = Encoding.ASCII.GetBytes("Key Pad for IKEv2");

    /// <summary>Computes the AUTH data for one side.</summary>
    /// <param name="prf">The IKE SA's PRF.</param>
    /// <param name="secret">The shared secret.</param>
    /// <param name="realMessage">This side's IKE_SA_INIT message, as sent (initiator: message 1; responder: message 2).</param>
    /// <param name="otherNonce">The other side's nonce data.</param>
    /// <param name="skP">SK_pi for the initiator, SK_pr for the responder.</param>
    /// <param name="idBody">This side's ID payload body (ID type, reserved, data).</param>
    public static byte[] Compute(PrfTransform prf, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> realMessage, ReadOnlySpan<byte> otherNonce,
        ReadOnlySpan<byte> skP, ReadOnlySpan<byte> idBody)
    {
        byte[] octets = SignatureAuthentication.SignedOctets(prf, realMessage, otherNonce, skP, idBody);
        return ComputeFromOctets(prf, secret, octets);
    }

    /// <summary>
    /// The AUTH data over SignedOctets already built (<see cref="SignatureAuthentication.SignedOctets"/>):
    /// prf(prf(secret, "Key Pad for IKEv2"), octets).
    /// </summary>
    public static byte[] ComputeFromOctets(PrfTransform prf, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> octets)
    {
        using IPrf secretPrf = prf.Create(secret);
        byte[] padKey = GC.AllocateArray<byte>(secretPrf.OutputSize, pinned: true);
        try
        {
            secretPrf.Compute(s_keyPad, padKey);
            using IPrf authPrf = prf.Create(padKey);
            var auth = new byte[authPrf.OutputSize];
            authPrf.Compute(octets, auth);
            return auth;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padKey);
        }
    }

    /// <summary>Constant-time comparison of received AUTH data with the expected value.</summary>
    public static bool Verify(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        CryptographicOperations.FixedTimeEquals(expected, received);
}
