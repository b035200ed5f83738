using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Tests.Crypto;

public class TransformRegistryTests
{
    [Fact]
    public void Every_keyword_and_alias_finds_its_transform_and_every_id_is_unique()
    {
        foreach (Transform t in TransformRegistry.All)
        {
            Assert.True(TransformRegistry.TryGet(t.Keyword, out Transform? byKeyword));
            Assert.Same(t, byKeyword);
            foreach (string alias in t.Aliases)
            {
                Assert.True(TransformRegistry.TryGet(alias, out Transform? byAlias));
                Assert.Same(t, byAlias);
            }
            Assert.True(TransformRegistry.TryGet(t.Type, t.Id, t.KeyBits, out Transform? byId));
            Assert.Same(t, byId);
        }
    }

    [Fact]
    public void Only_the_weak_algorithms_are_legacy()
    {
        string[] legacy = TransformRegistry.All.Where(t => t.Legacy).Select(t => t.Keyword).Order().ToArray();
        string[] expected = ["3des", "blowfish128", "blowfish192", "blowfish256", "des", "md5", "modp1024", "modp1536", "modp768", "null", "prfmd5", "sha1"];
        Assert.Equal(expected.Order(), legacy);
    }

    [Theory]
    // keyword, IANA ID, key bits, key material (key + salt), IV, ICV
    [InlineData("aes128", 12, 128, 16, 16, 0)]
    [InlineData("aes256", 12, 256, 32, 16, 0)]
    [InlineData("aes192ctr", 13, 192, 28, 8, 0)]
    [InlineData("aes128ccm8", 14, 128, 19, 8, 8)]
    [InlineData("aes256ccm16", 16, 256, 35, 8, 16)]
    [InlineData("aes128gcm8", 18, 128, 20, 8, 8)]
    [InlineData("aes192gcm12", 19, 192, 28, 8, 12)]
    [InlineData("aes256gcm16", 20, 256, 36, 8, 16)]
    [InlineData("aes128gmac", 21, 128, 20, 8, 16)]
    [InlineData("chacha20poly1305", 28, 0, 36, 8, 16)]
    [InlineData("3des", 3, 0, 24, 8, 0)]
    [InlineData("blowfish256", 7, 256, 32, 8, 0)]
    [InlineData("null", 11, 0, 0, 0, 0)]
    public void Encryption_sizes_follow_the_RFCs(string keyword, int id, int keyBits, int keyMaterial, int iv, int icv)
    {
        var t = TransformRegistry.Get<EncryptionTransform>(keyword);
        Assert.Equal((ushort)id, t.Id);
        Assert.Equal(keyBits, t.KeyBits);
        Assert.Equal(keyMaterial, t.KeyMaterialSize);
        Assert.Equal(iv, t.IvSize);
        Assert.Equal(icv, t.IcvSize);
        Assert.Equal(icv > 0, t.IsAead);
    }

    [Theory]
    [InlineData("md5", 1, 16, 12)]
    [InlineData("sha1", 2, 20, 12)]
    [InlineData("sha256", 12, 32, 16)]
    [InlineData("sha384", 13, 48, 24)]
    [InlineData("sha512", 14, 64, 32)]
    [InlineData("aesxcbc", 5, 16, 12)]
    [InlineData("aescmac", 8, 16, 12)]
    public void Integrity_sizes_follow_the_RFCs(string keyword, int id, int keySize, int icvSize)
    {
        var t = TransformRegistry.Get<IntegrityTransform>(keyword);
        Assert.Equal((ushort)id, t.Id);
        Assert.Equal(keySize, t.KeySize);
        Assert.Equal(icvSize, t.IcvSize);
        using IIntegrity mac = t.Create(new byte[keySize]);
        Assert.Equal(icvSize, mac.IcvSize);
    }

    [Fact]
    public void Every_encryption_transform_refuses_key_material_of_the_wrong_length_and_accepts_the_right_one()
    {
        foreach (EncryptionTransform t in TransformRegistry.All.OfType<EncryptionTransform>())
        {
            // Random, not zero: the BCL refuses 3DES/DES keys that are weak (an all-zero 3DES key is DES).
            byte[] right = System.Security.Cryptography.RandomNumberGenerator.GetBytes(t.KeyMaterialSize);
            byte[] wrong = new byte[t.KeyMaterialSize + 1];
            if (t.IsAead)
            {
                Assert.Throws<ArgumentException>(() => t.CreateAead(wrong));
                Assert.Throws<InvalidOperationException>(() => t.CreateCipher(right));
                using IAead aead = t.CreateAead(right);
                Assert.Equal(t.IcvSize, aead.IcvSize);
                Assert.Equal(t.IvSize, aead.IvSize);
            }
            else
            {
                Assert.Throws<ArgumentException>(() => t.CreateCipher(wrong));
                Assert.Throws<InvalidOperationException>(() => t.CreateAead(right));
                using ICipher cipher = t.CreateCipher(right);
                Assert.Equal(t.IvSize, cipher.IvSize);
                Assert.Equal(t.BlockSize, cipher.BlockSize);
            }
        }
    }

    [Fact]
    public void Keywords_are_case_insensitive_and_unknown_ones_are_not_found()
    {
        Assert.Same(TransformRegistry.Get<EncryptionTransform>("aes128gcm16"), TransformRegistry.Get<EncryptionTransform>("AES128GCM16"));
        Assert.Same(TransformRegistry.Get<EncryptionTransform>("aes128gcm16"), TransformRegistry.Get<EncryptionTransform>("aes128gcm128"));
        Assert.False(TransformRegistry.TryGet("aes129", out _));
        Assert.Throws<KeyNotFoundException>(() => TransformRegistry.Get<PrfTransform>("sha256"));
    }

    [Fact]
    public void Prf_transforms_report_their_key_rules()
    {
        Assert.True(TransformRegistry.Get<PrfTransform>("prfaesxcbc").FixedKeySize);
        Assert.True(TransformRegistry.Get<PrfTransform>("prfaescmac").FixedKeySize);
        Assert.False(TransformRegistry.Get<PrfTransform>("prfsha384").FixedKeySize);
        Assert.Equal(48, TransformRegistry.Get<PrfTransform>("prfsha384").KeySize);
        Assert.All(TransformRegistry.All.OfType<PrfTransform>(), p => Assert.False(p.ForEsp));
    }
}
