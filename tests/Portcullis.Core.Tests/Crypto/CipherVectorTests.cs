using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Tests.Crypto;

/// <summary>
/// Known-answer tests for the confidentiality-only ENCR transforms (AES-CBC, AES-CTR, 3DES, DES, Blowfish), each run
/// through the registry: keyword → transform → keyed instance. The vector's key material and IV are handed over as
/// they are, so a registry that asked for the wrong key, salt or IV size fails here as surely as a wrong byte of
/// output does.
/// </summary>
public class CipherVectorTests
{
    private static string Ascii(string text) => Convert.ToHexString(Encoding.ASCII.GetBytes(text));

    // --- AES-CBC -------------------------------------------------------------------------------------------------

    /// <summary>name, keyword, key material, IV, plaintext, ciphertext.</summary>
    public static TheoryData<string, string, string, string, string, string> AesCbc => new()
    {
        // RFC 3602 §4, Case #1 – #4 (AES-128 only; the RFC has no 192- or 256-bit cases).
        {
            "RFC 3602 case 1", "aes128", "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
            Ascii("Single block msg"), "e353779c1079aeb82708942dbe77181a"
        },
        {
            "RFC 3602 case 2", "aes128", "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"
        },
        {
            "RFC 3602 case 3", "aes128", "6c3ea0477630ce21a2ce334aa746c2cd", "c782dc4c098c66cbd9cd27d825682c81",
            Ascii("This is a 48-byte message (exactly 3 AES blocks)"),
            "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5021c19216bad525c8579695d83ba2684"
        },
        {
            "RFC 3602 case 4", "aes128", "56e47a38c5598974bc46903dba290349", "8ce82eefbea0da3c44699ed7db51b7d9",
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
            "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"
        },
        // NIST SP 800-38A Appendix F.2.1, F.2.3, F.2.5 (CBC-AES128/192/256.Encrypt).
        {
            "SP 800-38A F.2.1", "aes128", "2b7e151628aed2a6abf7158809cf4f3c", "000102030405060708090a0b0c0d0e0f", Sp80038aPlaintext,
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
        },
        {
            "SP 800-38A F.2.3", "aes192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "000102030405060708090a0b0c0d0e0f", Sp80038aPlaintext,
            "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"
        },
        {
            "SP 800-38A F.2.5", "aes256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "000102030405060708090a0b0c0d0e0f",
            Sp80038aPlaintext,
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"
        },
    };

    private const string Sp80038aPlaintext =
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    [Theory]
    [MemberData(nameof(AesCbc))]
    public void Aes_cbc_matches_rfc3602_and_sp800_38a(string name, string keyword, string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        _ = name;
        AssertCipher(keyword, keyMaterial, iv, plaintext, ciphertext);
    }

    // --- AES-CTR -------------------------------------------------------------------------------------------------

    /// <summary>
    /// RFC 3686 §6, Test Vectors #1 – #9. The key material is the AES key followed by the 4-byte nonce (RFC 3686 §5.1);
    /// the 8-byte IV travels in the packet.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> AesCtr => new()
    {
        { "RFC 3686 #1", "aes128ctr", "ae6852f8121067cc4bf7a5765577f39e" + "00000030", "0000000000000000", Ascii("Single block msg"), "e4095d4fb7a7b3792d6175a3261311b8" },
        {
            "RFC 3686 #2", "aes128ctr", "7e24067817fae0d743d6ce1f32539163" + "006cb6db", "c0543b59da48d90b",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "5104a106168a72d9790d41ee8edad388eb2e1efc46da57c8fce630df9141be28"
        },
        {
            "RFC 3686 #3", "aes128ctr", "7691be035e5020a8ac6e618529f9a0dc" + "00e0017b", "27777f3f4a1786f0",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
            "c1cf48a89f2ffdd9cf4652e9efdb72d74540a42bde6d7836d59a5ceaaef3105325b2072f"
        },
        {
            "RFC 3686 #4", "aes192ctr", "16af5b145fc9f579c175f93e3bfb0eed863d06ccfdb78515" + "00000048", "36733c147d6d93cb",
            Ascii("Single block msg"), "4b55384fe259c9c84e7935a003cbe928"
        },
        {
            "RFC 3686 #5", "aes192ctr", "7c5cb2401b3dc33c19e7340819e0f69c678c3db8e6f6a91a" + "0096b03b", "020c6eadc2cb500d",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "453243fc609b23327edfaafa7131cd9f8490701c5ad4a79cfc1fe0ff42f4fb00"
        },
        {
            "RFC 3686 #6", "aes192ctr", "02bf391ee8ecb159b959617b0965279bf59b60a786d3e0fe" + "0007bdfd", "5cbd60278dcc0912",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
            "96893fc55e5c722f540b7dd1ddf7e758d288bc95c69165884536c811662f2188abee0935"
        },
        {
            "RFC 3686 #7", "aes256ctr", "776beff2851db06f4c8a0542c8696f6c6a81af1eec96b4d37fc1d689e6c1c104" + "00000060", "db5672c97aa8f0b2",
            Ascii("Single block msg"), "145ad01dbf824ec7560863dc71e3e0c0"
        },
        {
            "RFC 3686 #8", "aes256ctr", "f6d66d6bd52d59bb0796365879eff886c66dd51a5b6a99744b50590c87a23884" + "00faac24", "c1585ef15a43d875",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "f05e231b3894612c49ee000b804eb2a9b8306b508f839d6a5530831d9344af1c"
        },
        {
            "RFC 3686 #9", "aes256ctr", "ff7a617ce69148e4f1726e2f43581de2aa62d9f805532edff1eed687fb54153d" + "001cc5b7", "51a51d70a1c11148",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
            "eb6c52821d0bbbf7ce7594462aca4faab407df866569fd07f48cc0b583d6071f1ec0e6b8"
        },
    };

    [Theory]
    [MemberData(nameof(AesCtr))]
    public void Aes_ctr_matches_rfc3686(string name, string keyword, string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        _ = name;
        AssertCipher(keyword, keyMaterial, iv, plaintext, ciphertext);
    }

    /// <summary>
    /// The RFC 3686 vectors are at most three blocks; this one spans 71 blocks (past any chunking) and
    /// checks the keystream against counter blocks built here from RFC 3686 §4: nonce ‖ IV ‖ 32-bit counter from 1.
    /// </summary>
    [Theory]
    [InlineData("aes128ctr", 16)]
    [InlineData("aes192ctr", 24)]
    [InlineData("aes256ctr", 32)]
    public void Aes_ctr_keystream_follows_rfc3686_counter_blocks_across_many_blocks(string keyword, int keySize)
    {
        byte[] keyMaterial = RandomNumberGenerator.GetBytes(keySize + 4);
        byte[] iv = RandomNumberGenerator.GetBytes(8);
        byte[] plaintext = RandomNumberGenerator.GetBytes(70 * 16 + 5);

        byte[] counterBlocks = new byte[71 * 16];
        for (int i = 0; i < 71; i++)
        {
            Span<byte> block = counterBlocks.AsSpan(i * 16, 16);
            keyMaterial.AsSpan(keySize, 4).CopyTo(block);
            iv.CopyTo(block[4..]);
            BinaryPrimitives.WriteUInt32BigEndian(block[12..], (uint)(i + 1));
        }
        using Aes aes = Aes.Create();
        aes.Key = keyMaterial[..keySize];
        byte[] keystream = aes.EncryptEcb(counterBlocks, PaddingMode.None);
        byte[] expected = new byte[plaintext.Length];
        for (int i = 0; i < plaintext.Length; i++) expected[i] = (byte)(plaintext[i] ^ keystream[i]);

        AssertCipher(keyword, Convert.ToHexString(keyMaterial), Convert.ToHexString(iv), Convert.ToHexString(plaintext), Convert.ToHexString(expected));
    }

    // --- 3DES, DES ----------------------------------------------------------------------------------------------

    /// <summary>
    /// NIST CAVP tdesmmt.zip, TCBCMMT3.rsp (three independent keys, so the order of the EDE3 sub-keys shows):
    /// key material = KEY1 ‖ KEY2 ‖ KEY3.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> TripleDesCbc => new()
    {
        { "TCBCMMT3 ENCRYPT COUNT 0", "3des", "b5cb1504802326c7" + "3df186e3e352a20d" + "e643b0d63ee30e37", "43f791134c5647ba", "dcc153cef81d6f24", "92538bd8af18d3ba" },
        {
            "TCBCMMT3 ENCRYPT COUNT 4", "3des", "ef6d3e54266d978f" + "fb0b8ce6689d803e" + "2cd34cc802fd0252", "38bae5bce06d0ad9",
            "c4f228b537223cd01c0debb5d9d4e12ba71656618d119b2f8f0af29d23efa3a9e43c4c458a1b79a0",
            "9e3289fb18379f55aa4e45a7e0e6df160b33b75f8627ad0954f8fdcb78cee55a4664caeda1000fe5"
        },
        {
            "TCBCMMT3 ENCRYPT COUNT 9", "3des", "9b162a0df8ad9b61" + "c88676e3d5864345" + "70b902f12a2046e0", "ebd6fefe029ad54b",
            "f4c1c918e77355c8156f0fd778da52bff121ae5f2f44eaf4d2754946d0e10d1f18ce3a0176e69c18b7d20b6e0d0bee5eb5edfe4bd60e4d92adcd86bce72e76f94ee5cbcaa8b01cfddcea2ade575e66ac",
            "1ff3c8709f403a8eff291aedf50c010df5c5ff64a8b205f1fce68564798897a390db16ee0d053856b75898009731da290fcc119dad987277aacef694872e880c4bb41471063fae05c89f25e4bd0cad6a"
        },
        {
            "TCBCMMT3 DECRYPT COUNT 9", "3des", "524a01b30ddf377a" + "fdbc077962580738" + "3b9bb952a86849f4", "69f4af59fe96e79d",
            "d56fa31c1db2978fa11c1dae70252a168b8193f1e0438e723aaf446dad2f5e490a4b53d7bd08e308e030187428ca5f554cb6dbd46f4b68677f4496098d23412c0f8863379e9f8330813836b8d48c987e",
            "889d82d2961d440ea1089dec8713884f32cf5a06ca159a4b29a812909016267c98df65306bd95ece33d3b53cd3797625d678a841a4e226d7fcd3aa809e552b2d4881696be4e7c6e60030572c7e023bb4"
        },
    };

    [Theory]
    [MemberData(nameof(TripleDesCbc))]
    public void Triple_des_cbc_matches_nist_cavp_tcbcmmt3(string name, string keyword, string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        _ = name;
        AssertCipher(keyword, keyMaterial, iv, plaintext, ciphertext);
    }

    /// <summary>DES-CBC: FIPS 81 Appendix C (Table C1), and Eric Young's libdes CBC vector (cbc_ok in destest.c).</summary>
    public static TheoryData<string, string, string, string, string, string> DesCbc => new()
    {
        {
            "FIPS 81 Table C1", "des", "0123456789abcdef", "1234567890abcdef", Ascii("Now is the time for all "),
            "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6"
        },
        {
            "libdes cbc_ok", "des", "0123456789abcdef", "fedcba9876543210", Ascii("7654321 Now is the time for ") + "00000000",
            "ccd173ffab2039f4acd8aefddfd8a1eb468e91157888ba681d269397f7fe62b4"
        },
    };

    [Theory]
    [MemberData(nameof(DesCbc))]
    public void Des_cbc_matches_fips81(string name, string keyword, string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        _ = name;
        AssertCipher(keyword, keyMaterial, iv, plaintext, ciphertext);
    }

    // --- Blowfish -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Blowfish-CBC for each registered key length. 128: Eric Young's chaining-mode vector (Schneier's vectors.txt),
    /// "7654321 Now is the time for " with its NUL, zero-padded to 32 bytes. 128 and 192: Eric Young's set_key
    /// vectors (vectors.txt, keys F0E1D2C3… cut to 16 and 24 bytes, plaintext FEDCBA9876543210), one block under a
    /// zero IV, where CBC is ECB. 256: the Chilkat vector strongSwan ships (test_vectors/blowfish.c, blowfish2);
    /// no vectors.txt key is 32 bytes long. The 24- and 32-byte cases fail if the key is cut to OpenSSL's 16-byte
    /// default.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> BlowfishCbc => new()
    {
        {
            "vectors.txt chaining mode", "blowfish128", "0123456789abcdeff0e1d2c3b4a59687", "fedcba9876543210",
            Ascii("7654321 Now is the time for ") + "00000000",
            "6b77b4d63006dee605b156e27403979358deb9e7154616d959f1652bd5ff92cc"
        },
        { "vectors.txt set_key k[16]", "blowfish128", "f0e1d2c3b4a5968778695a4b3c2d1e0f", "0000000000000000", "fedcba9876543210", "93142887ee3be15c" },
        { "vectors.txt set_key k[24]", "blowfish192", "f0e1d2c3b4a5968778695a4b3c2d1e0f0011223344556677", "0000000000000000", "fedcba9876543210", "05044b62fa52d080" },
        {
            "strongSwan blowfish2 (Chilkat)", "blowfish256", Ascii("1234567890123456ABCDEFGHIJKLMNOP"), Ascii("12345678"),
            Ascii("The quick brown fox jumped over the lazy dog") + "00000000",
            "276855ca6c0d60f7d9708210440c1072e05d078e733b34b4198d609dc2fcc2f0c30926cdef3b6d52baf6e345aa03f83e"
        },
    };

    [Theory]
    [MemberData(nameof(BlowfishCbc))]
    public void Blowfish_cbc_matches_eric_young_vectors(string name, string keyword, string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        _ = name;
        AssertCipher(keyword, keyMaterial, iv, plaintext, ciphertext);
    }

    [Fact]
    public void Blowfish_alias_is_the_128_bit_transform()
    {
        Assert.Same(TransformRegistry.Get<EncryptionTransform>("blowfish128"), TransformRegistry.Get<EncryptionTransform>("blowfish"));
    }

    // --- every cipher keyword -----------------------------------------------------------------------------------

    public static TheoryData<string> CipherKeywords
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (EncryptionTransform t in TransformRegistry.All.OfType<EncryptionTransform>().Where(t => !t.IsAead))
                data.Add(t.Keyword);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CipherKeywords))]
    public void Every_cipher_round_trips_random_data(string keyword)
    {
        var t = TransformRegistry.Get<EncryptionTransform>(keyword);
        // Random, not zero: the BCL refuses weak DES/3DES keys.
        byte[] keyMaterial = RandomNumberGenerator.GetBytes(t.KeyMaterialSize);
        using ICipher cipher = t.CreateCipher(keyMaterial);
        Assert.Equal(t.IvSize, cipher.IvSize);
        Assert.Equal(t.BlockSize, cipher.BlockSize);

        foreach (int blocks in (int[])[0, 1, 2, 3, 31, 32, 33, 100])
        {
            foreach (int extra in t.BlockSize == 1 ? (int[])[0, 1, 7] : [0])
            {
                byte[] iv = RandomNumberGenerator.GetBytes(t.IvSize);
                byte[] plaintext = RandomNumberGenerator.GetBytes(blocks * t.BlockSize + extra);
                byte[] ciphertext = new byte[plaintext.Length];
                cipher.Encrypt(iv, plaintext, ciphertext);
                if (keyword == "null")
                    Assert.Equal(plaintext, ciphertext);
                else if (plaintext.Length >= 8)
                    Assert.NotEqual(plaintext, ciphertext);

                byte[] decrypted = new byte[ciphertext.Length];
                cipher.Decrypt(iv, ciphertext, decrypted);
                Assert.Equal(plaintext, decrypted);

                // A second instance from the same key material agrees: nothing chains from one call to the next.
                using ICipher other = t.CreateCipher(keyMaterial);
                byte[] again = new byte[plaintext.Length];
                other.Encrypt(iv, plaintext, again);
                Assert.Equal(ciphertext, again);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CipherKeywords))]
    public void Every_block_cipher_refuses_input_that_is_not_whole_blocks(string keyword)
    {
        var t = TransformRegistry.Get<EncryptionTransform>(keyword);
        if (t.BlockSize == 1) return;
        using ICipher cipher = t.CreateCipher(RandomNumberGenerator.GetBytes(t.KeyMaterialSize));
        byte[] iv = new byte[t.IvSize];
        byte[] odd = new byte[t.BlockSize + 1];
        Assert.ThrowsAny<ArgumentException>(() => cipher.Encrypt(iv, odd, new byte[odd.Length]));
        Assert.ThrowsAny<ArgumentException>(() => cipher.Decrypt(iv, odd, new byte[odd.Length]));
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Keys the transform named by <paramref name="keyword"/> with the vector's key material (whose length must be the
    /// registry's KeyMaterialSize), then encrypts and decrypts, into a separate buffer and in place.
    /// </summary>
    [Theory]
    [MemberData(nameof(CipherKeywords))]
    public void A_disposed_cipher_refuses_to_encrypt_or_decrypt(string keyword)
    {
        var t = TransformRegistry.Get<EncryptionTransform>(keyword);
        if (t.KeyMaterialSize == 0) return; // ENCR_NULL has no key to protect
        ICipher cipher = t.CreateCipher(RandomNumberGenerator.GetBytes(t.KeyMaterialSize));
        byte[] iv = new byte[t.IvSize];
        byte[] data = new byte[Math.Max(t.BlockSize, 8)];
        cipher.Encrypt(iv, data, data);
        cipher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cipher.Encrypt(iv, data, data));
        Assert.Throws<ObjectDisposedException>(() => cipher.Decrypt(iv, data, data));
    }

    internal static void AssertCipher(string keyword, string keyMaterialHex, string ivHex, string plaintextHex, string ciphertextHex)
    {
        byte[] keyMaterial = Convert.FromHexString(keyMaterialHex);
        byte[] iv = Convert.FromHexString(ivHex);
        byte[] plaintext = Convert.FromHexString(plaintextHex);
        string expected = ciphertextHex.ToLowerInvariant();

        var t = TransformRegistry.Get<EncryptionTransform>(keyword);
        Assert.False(t.IsAead);
        Assert.Equal(keyMaterial.Length, t.KeyMaterialSize);
        Assert.Equal(iv.Length, t.IvSize);
        using ICipher cipher = t.CreateCipher(keyMaterial);
        Assert.Equal(t.IvSize, cipher.IvSize);
        Assert.Equal(t.BlockSize, cipher.BlockSize);

        byte[] output = new byte[plaintext.Length];
        cipher.Encrypt(iv, plaintext, output);
        Assert.Equal(expected, Convert.ToHexStringLower(output));

        byte[] decrypted = new byte[output.Length];
        cipher.Decrypt(iv, Convert.FromHexString(ciphertextHex), decrypted);
        Assert.Equal(plaintextHex.ToLowerInvariant(), Convert.ToHexStringLower(decrypted));

        // ICipher allows input and output to overlap exactly.
        byte[] buffer = plaintext.ToArray();
        cipher.Encrypt(iv, buffer, buffer);
        Assert.Equal(expected, Convert.ToHexStringLower(buffer));
        cipher.Decrypt(iv, buffer, buffer);
        Assert.Equal(plaintextHex.ToLowerInvariant(), Convert.ToHexStringLower(buffer));
    }
}
