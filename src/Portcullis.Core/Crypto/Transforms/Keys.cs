using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>Small helpers for handing key bytes to BCL objects without leaving unzeroed copies behind.</summary>
internal static class Keys
{
    /// <summary>Sets <paramref name="key"/> on <paramref name="algorithm"/>; the temporary array is wiped.</summary>
    public static T WithKey<T>(T algorithm, ReadOnlySpan<byte> key) where T : SymmetricAlgorithm
    {
        byte[] copy = key.ToArray();
        try
        {
            algorithm.Key = copy;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
        return algorithm;
    }

    /// <summary>An AES instance keyed with <paramref name="key"/>.</summary>
    public static Aes CreateAes(ReadOnlySpan<byte> key) => WithKey(Aes.Create(), key);
}
