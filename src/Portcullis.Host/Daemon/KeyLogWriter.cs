using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Ikev2;

namespace Portcullis.Host.Daemon;

/// <summary>
/// Appends one line per IKE SA to a key log (<c>portcullis daemon --keylog FILE</c>), for decrypting captures:
/// <c>ike SPIi SPIr ENCR INTEG SK_ei SK_er SK_ai SK_ar</c>, transforms by keyword, keys in hex, "-" for none. The test
/// harness turns it into Wireshark's ikev2_decryption_table. A second line, <c>ike-secrets SPIi SPIr SK_d SK_pi SK_pr</c>,
/// holds the SA's other keys, so the harness can check that no secret the daemon holds reaches its log. The file is
/// created 0600.
/// </summary>
internal static class KeyLogWriter
{
    private static readonly Lock s_lock = new();

    public static void Append(string path, IkeSa sa, IkeSaKeys keys)
    {
        NegotiatedProposal p = sa.Proposal!;
        static string Hex(ReadOnlySpan<byte> b) => b.IsEmpty ? "-" : Convert.ToHexStringLower(b);
        string line = $"ike {sa.InitiatorSpi:x16} {sa.ResponderSpi:x16} {p.Encryption!.Keyword} {p.Integrity?.Keyword ?? "-"} " +
            $"{Hex(keys.SkEi.ReadOnlySpan)} {Hex(keys.SkEr.ReadOnlySpan)} {Hex(keys.SkAi.ReadOnlySpan)} {Hex(keys.SkAr.ReadOnlySpan)}\n" +
            $"ike-secrets {sa.InitiatorSpi:x16} {sa.ResponderSpi:x16} {Hex(keys.SkD.ReadOnlySpan)} {Hex(keys.SkPi.ReadOnlySpan)} {Hex(keys.SkPr.ReadOnlySpan)}\n";
        Write(path, line);
    }

    /// <summary>
    /// A CHILD SA's two ESP SAs: <c>esp SPI ENCR INTEG KEY INTEGKEY</c> per direction (the encryption key with its salt,
    /// as Wireshark's esp_sa table takes it), so captures of transport-mode L2TP can be decrypted and dissected.
    /// </summary>
    public static void AppendEsp(string path, ChildSa child)
    {
        NegotiatedProposal p = child.Proposal;
        static string Hex(ReadOnlySpan<byte> b) => b.IsEmpty ? "-" : Convert.ToHexStringLower(b);
        string integ = p.Integrity?.Keyword ?? "-";
        // AH has no encryption: "-" where the ESP lines name it (Wireshark's esp_sa table has no AH keys anyway).
        string protocol = child.IsAh ? "ah" : "esp", encryption = p.Encryption?.Keyword ?? "-";
        string lines = $"{protocol} {child.InboundSpi:x8} {encryption} {integ} {Hex(child.InboundEncryptionKey.ReadOnlySpan)} {Hex(child.InboundIntegrityKey.ReadOnlySpan)}\n" +
            $"{protocol} {child.OutboundSpi:x8} {encryption} {integ} {Hex(child.OutboundEncryptionKey.ReadOnlySpan)} {Hex(child.OutboundIntegrityKey.ReadOnlySpan)}\n";
        Write(path, lines);
    }

    /// <summary>
    /// An ISAKMP SA: <c>ikev1 CKY-I CKY-R ENCR KEY</c>, what Wireshark's ikev1_decryption_table takes (the initiator's
    /// cookie and the encryption key), and <c>ikev1-secrets CKY-I CKY-R SKEYID SKEYID_d SKEYID_a SKEYID_e</c>.
    /// </summary>
    public static void AppendIkev1(string path, Portcullis.Core.Ikev1.IsakmpSa sa, byte[] key, Ikev1SaKeys keys)
    {
        string cookies = $"{sa.InitiatorCookie:x16} {sa.ResponderCookie:x16}";
        string line = $"ikev1 {cookies} {sa.Proposal?.Encryption?.Keyword ?? "-"} {Convert.ToHexStringLower(key)}\n" +
            $"ikev1-secrets {cookies} {Convert.ToHexStringLower(keys.SkeyId.ReadOnlySpan)} {Convert.ToHexStringLower(keys.SkeyIdD.ReadOnlySpan)} " +
            $"{Convert.ToHexStringLower(keys.SkeyIdA.ReadOnlySpan)} {Convert.ToHexStringLower(keys.SkeyIdE.ReadOnlySpan)}\n";
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        Write(path, line);
    }

    private static void Write(string path, string line)
    {
        lock (s_lock)
        {
            if (!File.Exists(path))
            {
                using (File.Create(path, 1, FileOptions.None)) { }
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.AppendAllText(path, line);
        }
    }
}
