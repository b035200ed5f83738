using System.Security.Cryptography;
using Portcullis.Core.Crypto.KeyExchange;
using Portcullis.Core.Crypto.MlKem;
using Portcullis.Core.Crypto.Native;
using Portcullis.Core.Crypto.Transforms;

namespace Portcullis.Core.Crypto.Registry;

/// <summary>
/// Every transform Portcullis knows, keyed by IANA ID (and key length), with strongSwan's proposal keywords. This is
/// the one table where algorithm names and sizes live; everything else looks transforms up here.
/// </summary>
public static class TransformRegistry
{
    private static readonly Dictionary<(TransformType, ushort, int), Transform> s_byId = [];
    private static readonly Dictionary<string, Transform> s_byKeyword = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>All transforms, in listing order.</summary>
    public static IReadOnlyList<Transform> All { get; } = Build();

    private static List<Transform> Build()
    {
        var all = new List<Transform>();

        // --- Encryption (IKEv2 Transform Type 1) ---
        foreach (int bits in (int[])[128, 192, 256])
        {
            int key = bits / 8;
            string evpGcm = $"AES-{bits}-GCM";
            all.Add(new EncryptionTransform(12, bits, $"aes{bits}", "ENCR_AES_CBC", "RFC 3602", false, key, 0, 16, 16, 0,
                cipher: k => EvpCipher.Cbc($"AES-{k.Length * 8}-CBC", k, 16)) { Aliases = bits == 128 ? ["aes"] : [], Ikev1Phase1Id = 7, Ikev1Phase2Id = 12 });
            all.Add(new EncryptionTransform(13, bits, $"aes{bits}ctr", "ENCR_AES_CTR", "RFC 3686, RFC 5930", false, key, EvpCipher.CtrNonceSize, 8, 1, 0,
                cipher: k => EvpCipher.Ctr($"AES-{(k.Length - EvpCipher.CtrNonceSize) * 8}-CTR", k)) { Ikev1Phase2Id = 13 });
            foreach ((ushort id, int icv) in (ReadOnlySpan<(ushort, int)>)[(14, 8), (15, 12), (16, 16)])
            {
                int icvSize = icv;
                all.Add(new EncryptionTransform(id, bits, $"aes{bits}ccm{icv}", $"ENCR_AES_CCM_{icv}", "RFC 4309, RFC 5282", false, key, AesCcmAead.SaltSize, 8, 1, icv,
                    aead: k => new AesCcmAead(k, icvSize)) { Aliases = [$"aes{bits}ccm{icv * 8}"], Ikev1Phase2Id = id });
            }
            foreach ((ushort id, int icv) in (ReadOnlySpan<(ushort, int)>)[(18, 8), (19, 12), (20, 16)])
            {
                int icvSize = icv;
                all.Add(new EncryptionTransform(id, bits, $"aes{bits}gcm{icv}", $"ENCR_AES_GCM_{icv}", "RFC 4106, RFC 5282", false, key, EvpAead.SaltSize, 8, 1, icv,
                    aead: k => new EvpAead(evpGcm, k, icvSize)) { Aliases = [$"aes{bits}gcm{icv * 8}"], Ikev1Phase2Id = id });
            }
            all.Add(new EncryptionTransform(21, bits, $"aes{bits}gmac", "ENCR_NULL_AUTH_AES_GMAC", "RFC 4543", false, key, EvpAead.SaltSize, 8, 1, 16,
                aead: k => new EvpAead(evpGcm, k, 16, gmac: true)) { ForIke = false, Ikev1Phase2Id = 23 });
        }
        all.Add(new EncryptionTransform(28, 0, "chacha20poly1305", "ENCR_CHACHA20_POLY1305", "RFC 7634", false, 32, EvpAead.SaltSize, 8, 1, 16,
            aead: k => new EvpAead("ChaCha20-Poly1305", k, 16)));
        all.Add(new EncryptionTransform(3, 0, "3des", "ENCR_3DES", "RFC 2451", true, 24, 0, 8, 8, 0,
            cipher: k => EvpCipher.Cbc("DES-EDE3-CBC", k, 8)) { Ikev1Phase1Id = 5, Ikev1Phase2Id = 3 });
        foreach (int bits in (int[])[128, 192, 256])
            all.Add(new EncryptionTransform(7, bits, $"blowfish{bits}", "ENCR_BLOWFISH", "RFC 2451", true, bits / 8, 0, 8, 8, 0,
                cipher: k => EvpCipher.Cbc("BF-CBC", k, 8, legacy: true)) { Aliases = bits == 128 ? ["blowfish"] : [], Ikev1Phase1Id = 3, Ikev1Phase2Id = 7 });
        all.Add(new EncryptionTransform(2, 0, "des", "ENCR_DES", "RFC 2405", true, 8, 0, 8, 8, 0,
            cipher: k => EvpCipher.Cbc("DES-CBC", k, 8, legacy: true)) { Ikev1Phase1Id = 1, Ikev1Phase2Id = 2 });
        all.Add(new EncryptionTransform(11, 0, "null", "ENCR_NULL", "RFC 2410", true, 0, 0, 0, 1, 0,
            cipher: _ => new NullCipher()) { ForIke = false, Ikev1Phase2Id = 11 });

        // --- Integrity (Type 3) ---
        all.Add(Hmac(1, "md5", "AUTH_HMAC_MD5_96", "RFC 2403", true, HashAlgorithmName.MD5, 16, 12, ikev1: 1, ah: 2));
        all.Add(Hmac(2, "sha1", "AUTH_HMAC_SHA1_96", "RFC 2404", true, HashAlgorithmName.SHA1, 20, 12, ikev1: 2, ah: 3, aliases: ["sha"]));
        all.Add(Hmac(12, "sha256", "AUTH_HMAC_SHA2_256_128", "RFC 4868", false, HashAlgorithmName.SHA256, 32, 16, ikev1: 5, ah: 5, aliases: ["sha2_256"]));
        all.Add(Hmac(13, "sha384", "AUTH_HMAC_SHA2_384_192", "RFC 4868", false, HashAlgorithmName.SHA384, 48, 24, ikev1: 6, ah: 6, aliases: ["sha2_384"]));
        all.Add(Hmac(14, "sha512", "AUTH_HMAC_SHA2_512_256", "RFC 4868", false, HashAlgorithmName.SHA512, 64, 32, ikev1: 7, ah: 7, aliases: ["sha2_512"]));
        all.Add(new IntegrityTransform(5, "aesxcbc", "AUTH_AES_XCBC_96", "RFC 3566", false, 16, 12, k => new AesCbcMacIntegrity(AesCbcMac.Xcbc(k), 12)) { Ikev1Phase2Id = 9, Ikev1AhId = 9 });
        // AH only (RFC 4543 §4): ESP uses GMAC as ENCR_NULL_AUTH_AES_GMAC. strongSwan has no keyword for these; in
        // ah_proposals its aes128gmac … aes256gmac name them (see AhIntegrityFor).
        foreach ((ushort id, int bits) in (ReadOnlySpan<(ushort, int)>)[(9, 128), (10, 192), (11, 256)])
            all.Add(new IntegrityTransform(id, 0, $"aes{bits}gmacauth", $"AUTH_AES_{bits}_GMAC", "RFC 4543", bits / 8 + EvpAead.SaltSize, 16, 8,
                k => new AesGmacIntegrity(k)) { ForIke = false, ForEsp = false, Ikev1Phase2Id = (ushort)(id + 2), Ikev1AhId = (ushort)(id + 2) });
        all.Add(new IntegrityTransform(8, "aescmac", "AUTH_AES_CMAC_96", "RFC 4494", false, 16, 12, k => new AesCbcMacIntegrity(AesCbcMac.Cmac(k), 12)));

        // --- PRF (Type 2) ---
        all.Add(HmacPrf(1, "prfmd5", "PRF_HMAC_MD5", "RFC 2104", true, HashAlgorithmName.MD5, 16, ikev1: 1));
        all.Add(HmacPrf(2, "prfsha1", "PRF_HMAC_SHA1", "RFC 2104", false, HashAlgorithmName.SHA1, 20, ikev1: 2));
        all.Add(HmacPrf(5, "prfsha256", "PRF_HMAC_SHA2_256", "RFC 4868", false, HashAlgorithmName.SHA256, 32, ikev1: 4));
        all.Add(HmacPrf(6, "prfsha384", "PRF_HMAC_SHA2_384", "RFC 4868", false, HashAlgorithmName.SHA384, 48, ikev1: 5));
        all.Add(HmacPrf(7, "prfsha512", "PRF_HMAC_SHA2_512", "RFC 4868", false, HashAlgorithmName.SHA512, 64, ikev1: 6));
        all.Add(new PrfTransform(4, "prfaesxcbc", "PRF_AES128_XCBC", "RFC 4434", false, 16, 16, true, k => AesCbcMacPrf.Xcbc(k)));
        all.Add(new PrfTransform(8, "prfaescmac", "PRF_AES128_CMAC", "RFC 4615", false, 16, 16, true, k => AesCbcMacPrf.Cmac(k)));

        // --- Key exchange (Type 4) ---
        all.Add(Modp(1, 768, "modp768", "RFC 2409", true, ModpPrimes.Prime768, 256));
        all.Add(Modp(2, 1024, "modp1024", "RFC 2409", true, ModpPrimes.Prime1024, 256));
        all.Add(Modp(5, 1536, "modp1536", "RFC 3526", true, ModpPrimes.Prime1536, 256));
        all.Add(Modp(14, 2048, "modp2048", "RFC 3526", false, ModpPrimes.Prime2048, 256));
        all.Add(Modp(15, 3072, "modp3072", "RFC 3526", false, ModpPrimes.Prime3072, 256));
        all.Add(Modp(16, 4096, "modp4096", "RFC 3526", false, ModpPrimes.Prime4096, 320));
        all.Add(Modp(17, 6144, "modp6144", "RFC 3526", false, ModpPrimes.Prime6144, 384));
        all.Add(Modp(18, 8192, "modp8192", "RFC 3526", false, ModpPrimes.Prime8192, 512));
        all.Add(Ecp(19, "ecp256", "256-bit random ECP group", EcpGroup.P256));
        all.Add(Ecp(20, "ecp384", "384-bit random ECP group", EcpGroup.P384));
        all.Add(Ecp(21, "ecp521", "521-bit random ECP group", EcpGroup.P521));
        all.Add(new KeyExchangeTransform(31, "curve25519", "Curve25519", "RFC 8031", false, 32, 32, false,
            () => new MontgomeryKeyExchange(LibCrypto.EVP_PKEY_X25519, 32)) { Aliases = ["x25519"], ForEsp = true });
        all.Add(new KeyExchangeTransform(32, "curve448", "Curve448", "RFC 8031", false, 56, 56, false,
            () => new MontgomeryKeyExchange(LibCrypto.EVP_PKEY_X448, 56)) { Aliases = ["x448"] });
        all.Add(MlKemTransform(35, "mlkem512", "ML-KEM-512", MlKemParameterSet.MlKem512));
        all.Add(MlKemTransform(36, "mlkem768", "ML-KEM-768", MlKemParameterSet.MlKem768));
        all.Add(MlKemTransform(37, "mlkem1024", "ML-KEM-1024", MlKemParameterSet.MlKem1024));

        // --- Extended sequence numbers (Type 5) ---
        all.Add(new EsnTransform(0, "noesn", "No Extended Sequence Numbers"));
        all.Add(new EsnTransform(1, "esn", "Extended Sequence Numbers"));

        foreach (Transform t in all)
        {
            s_byId.Add((t.Type, t.Id, t.KeyBits), t);
            s_byKeyword.Add(t.Keyword, t);
            foreach (string alias in t.Aliases) s_byKeyword.Add(alias, t);
        }
        return all;
    }

    private static IntegrityTransform Hmac(ushort id, string keyword, string name, string reference, bool legacy, HashAlgorithmName hash, int keySize, int icvSize,
        ushort ikev1, ushort ah, string[]? aliases = null) =>
        new(id, keyword, name, reference, legacy, keySize, icvSize, k => new Transforms.Hmac(hash, k, icvSize))
        {
            Aliases = aliases ?? [],
            Ikev1Phase1Id = null,
            Ikev1Phase2Id = ikev1,
            Ikev1AhId = ah,
        };

    private static PrfTransform HmacPrf(ushort id, string keyword, string name, string reference, bool legacy, HashAlgorithmName hash, int size, ushort ikev1) =>
        new(id, keyword, name, reference, legacy, size, size, false, k => new Transforms.Hmac(hash, k, size)) { Ikev1Phase1Id = ikev1, Hash = hash };

    private static KeyExchangeTransform Modp(ushort id, int bits, string keyword, string reference, bool legacy, string prime, int exponentBits)
    {
        var group = new Lazy<ModpGroup>(() => new ModpGroup(prime, exponentBits));
        return new KeyExchangeTransform(id, keyword, $"{bits}-bit MODP Group", reference, legacy, bits / 8, bits / 8, false,
            () => new ModpKeyExchange(group.Value)) { Ikev1Phase1Id = id };
    }

    private static KeyExchangeTransform Ecp(ushort id, string keyword, string name, EcpGroup group) =>
        new(id, keyword, name, "RFC 5903", false, 2 * group.CoordinateSize, 2 * group.CoordinateSize, false,
            () => new EcpKeyExchange(group)) { Ikev1Phase1Id = id };

    private static KeyExchangeTransform MlKemTransform(ushort id, string keyword, string name, MlKemParameterSet parameters) =>
        new(id, keyword, name, "FIPS 203, RFC 9370", false, parameters.EncapsulationKeySize, parameters.CiphertextSize, true,
            () => MlKemKeyExchange.CreateInitiator(parameters), () => MlKemKeyExchange.CreateResponder(parameters));

    // --- IKEv1 (RFC 2409 Appendix A, RFC 2407 §4.4.4 and §4.5): the same transforms under their IKEv1 numbers ---

    /// <summary>
    /// A phase 1 Encryption Algorithm with its Key Length attribute (0 when absent: AES then means 128 bits, as
    /// RFC 3602 §5 and strongSwan have it); null when unknown or not for IKE.
    /// </summary>
    public static EncryptionTransform? Ikev1Phase1Encryption(ushort id, int keyBits) => Ikev1Encryption(id, keyBits, phase1: true);

    /// <summary>A phase 2 ESP Transform-Id with its Key Length attribute (0 when absent); null when unknown.</summary>
    public static EncryptionTransform? Ikev1EspTransform(ushort id, int keyBits) => Ikev1Encryption(id, keyBits, phase1: false);

    private static EncryptionTransform? Ikev1Encryption(ushort id, int keyBits, bool phase1)
    {
        var candidates = All.OfType<EncryptionTransform>().Where(t => (phase1 ? t.Ikev1Phase1Id : t.Ikev1Phase2Id) == id && (!phase1 || t.ForIke)).ToList();
        if (keyBits == 0 && candidates.Count > 0 && candidates.All(t => t.KeyBits != 0)) keyBits = candidates.Min(t => t.KeyBits);
        return candidates.FirstOrDefault(t => t.KeyBits == keyBits);
    }

    /// <summary>The PRF a phase 1 Hash Algorithm stands for (its HMAC, RFC 2409 §4); null when unknown.</summary>
    public static PrfTransform? Ikev1HashAlgorithm(ushort id) => All.OfType<PrfTransform>().FirstOrDefault(t => t.Ikev1Phase1Id == id && t.Hash is not null);

    /// <summary>A Group Description, phase 1 or the PFS group of phase 2 (the same numbers); null when unknown.</summary>
    public static KeyExchangeTransform? Ikev1Group(ushort id) => All.OfType<KeyExchangeTransform>().FirstOrDefault(t => t.Ikev1Phase1Id == id);

    /// <summary>A phase 2 Authentication Algorithm; null when unknown.</summary>
    public static IntegrityTransform? Ikev1AuthenticationAlgorithm(ushort id) => All.OfType<IntegrityTransform>().FirstOrDefault(t => t.Ikev1Phase2Id == id);

    /// <summary>The integrity algorithm of an AH transform ID (RFC 2407 §4.4.3); null when unknown.</summary>
    public static IntegrityTransform? Ikev1AhTransform(ushort id) => All.OfType<IntegrityTransform>().FirstOrDefault(t => t.Ikev1AhId == id);

    /// <summary>
    /// The integrity transform an <c>ah_proposals</c> keyword names: an integrity keyword, or (as strongSwan reads
    /// them for AH) one of the GMAC encryption keywords, aes128gmac … aes256gmac, for AUTH_AES_128/192/256_GMAC.
    /// </summary>
    public static IntegrityTransform? AhIntegrityFor(Transform transform) => transform switch
    {
        IntegrityTransform { ForAh: true } integrity => integrity,
        EncryptionTransform { Id: 21 } gmac => All.OfType<IntegrityTransform>().FirstOrDefault(t => t.IvSize > 0 && t.KeySize == gmac.KeyMaterialSize),
        _ => null,
    };

    /// <summary>Looks a transform up by type, IANA ID and Key Length attribute (0 where the transform takes none).</summary>
    public static bool TryGet(TransformType type, ushort id, int keyBits, out Transform? transform) =>
        s_byId.TryGetValue((type, id, keyBits), out transform);

    /// <summary>Looks a transform up by strongSwan keyword or alias, case-insensitively.</summary>
    public static bool TryGet(string keyword, out Transform? transform) =>
        s_byKeyword.TryGetValue(keyword, out transform);

    /// <summary>The transform with this keyword; throws when there is none (for code and tests naming a known keyword).</summary>
    public static T Get<T>(string keyword) where T : Transform =>
        TryGet(keyword, out Transform? t) && t is T typed ? typed : throw new KeyNotFoundException($"no {typeof(T).Name} named '{keyword}'");
}
