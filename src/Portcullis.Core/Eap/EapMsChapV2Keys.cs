using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;

namespace Portcullis.Core.Eap;

/// <summary>What EAP-MSCHAPv2 derives from a password: the NT password hash of a configured secret, and the MSK.</summary>
public static class EapMsChapV2Keys
{
    /// <summary>Bytes in the EAP-MSCHAPv2 MSK.</summary>
    public const int MskLength = 64;

    /// <summary>
    /// The MSK both ends feed to IKEv2's AUTH (RFC 7296 §2.16): MasterReceiveKey | MasterSendKey | 32 zero bytes, with
    /// the two 16-byte keys named from the authenticator's side (RFC 3079 §3.4: the receive key uses Magic2 and the
    /// send key Magic3, whichever side computes them). This is Microsoft's definition ([MS-CHAP] §3.1.5.1, "MSK =
    /// MasterReceiveKey + MasterSendKey + 32 bytes zeroes") and what strongSwan's eap-mschapv2 plugin builds
    /// (GenerateMSK), so Windows, strongSwan and Portcullis agree. The 32 zero bytes matter: with an HMAC PRF a key
    /// padded with zeros gives the same AUTH as the 32-byte key, but AES-XCBC and AES-CMAC PRFs first reduce keys
    /// longer than 16 bytes (RFC 4434, RFC 4615), so only the full 64 bytes interoperate there.
    /// </summary>
    /// <param name="passwordHash">The NT password hash.</param>
    /// <param name="ntResponse">The NT-Response the peer sent (the authenticator's expected one once it matched).</param>
    /// <returns>A pinned 64-byte array the caller owns and should wipe.</returns>
    public static byte[] DeriveMsk(ReadOnlySpan<byte> passwordHash, ReadOnlySpan<byte> ntResponse)
    {
        byte[] hashHash = MsChapV2.HashNtPasswordHash(passwordHash);
        byte[] masterKey = MsChapV2.GetMasterKey(hashHash, ntResponse);
        byte[] receive = MsChapV2.GetAsymmetricStartKey(masterKey, 16, isSend: false, isServer: true);
        byte[] send = MsChapV2.GetAsymmetricStartKey(masterKey, 16, isSend: true, isServer: true);
        byte[] msk = GC.AllocateArray<byte>(MskLength, pinned: true);
        receive.CopyTo(msk, 0);
        send.CopyTo(msk, 16);
        CryptographicOperations.ZeroMemory(hashHash);
        CryptographicOperations.ZeroMemory(masterKey);
        CryptographicOperations.ZeroMemory(receive);
        CryptographicOperations.ZeroMemory(send);
        return msk;
    }

    /// <summary>
    /// The NT password hash of a secret as swanctl.conf holds it (bytes). A secret that is valid UTF-8 is hashed as the
    /// UTF-16LE of its text, as Windows hashes what the user types (RFC 2759's Unicode password); anything else is
    /// widened byte by byte. For ASCII both are what strongSwan does (it always widens byte by byte, so for non-ASCII
    /// passwords strongSwan and Windows disagree; Portcullis sides with Windows).
    /// </summary>
    /// <returns>A pinned 16-byte array the caller should wipe.</returns>
    public static byte[] NtPasswordHashOfSecret(ReadOnlySpan<byte> secret)
    {
        byte[] unicode;
        try
        {
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            char[] chars = GC.AllocateArray<char>(strict.GetCharCount(secret), pinned: true);
            try
            {
                strict.GetChars(secret, chars);
                unicode = GC.AllocateArray<byte>(2 * chars.Length, pinned: true);
                Encoding.Unicode.GetBytes(chars, unicode);
            }
            finally
            {
                Array.Clear(chars);
            }
        }
        catch (DecoderFallbackException)
        {
            unicode = GC.AllocateArray<byte>(2 * secret.Length, pinned: true);
            for (int i = 0; i < secret.Length; i++) unicode[2 * i] = secret[i];
        }
        try
        {
            return MsChapV2.NtPasswordHash(unicode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unicode);
        }
    }
}
