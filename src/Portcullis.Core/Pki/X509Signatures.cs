using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Crypto.Signatures;

namespace Portcullis.Core.Pki;

/// <summary>Checks the signature of a certificate or CRL (RFC 5280 §4.1.1.3, §5.1.1.3) with the issuer's public key.</summary>
internal static class X509Signatures
{
    /// <summary>
    /// True when <paramref name="signature"/> over <paramref name="signed"/> verifies with <paramref name="issuer"/>'s
    /// key under <paramref name="algorithm"/>; otherwise false with the reason. Never throws.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> signed, ReadOnlySpan<byte> algorithm, ReadOnlySpan<byte> signature, X509Certificate2 issuer, out string reason)
    {
        if (!SignatureAlgorithmIdentifier.TryParse(algorithm, out SignatureScheme? scheme, out reason)) return false;
        RSA? rsa = null;
        ECDsa? ecdsa = null;
        try
        {
            try
            {
                rsa = issuer.GetRSAPublicKey();
                if (rsa is null) ecdsa = issuer.GetECDsaPublicKey();
            }
            catch (CryptographicException e)
            {
                reason = $"the issuer's public key cannot be read ({e.Message})";
                return false;
            }
            AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)rsa ?? ecdsa;
            if (key is null) { reason = "the issuer's key is neither RSA nor ECDSA"; return false; }
            if ((scheme!.Algorithm == SignatureAlgorithm.Ecdsa) != key is ECDsa)
            {
                reason = $"signed with {scheme.Keyword}, which does not fit the issuer's {(key is RSA ? "RSA" : "ECDSA")} key";
                return false;
            }
            // X.509 ECDSA signatures are DER ECDSA-Sig-Value, as RFC 7427 AUTH data is.
            if (scheme.Verify(key, signed, signature, rfc7427: true)) { reason = ""; return true; }
            reason = $"the {scheme.Keyword} signature does not verify with the issuer's key";
            return false;
        }
        finally
        {
            rsa?.Dispose();
            ecdsa?.Dispose();
        }
    }
}
