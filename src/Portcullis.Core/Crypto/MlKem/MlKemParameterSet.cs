namespace Portcullis.Core.Crypto.MlKem;

/// <summary>
/// One of the three ML-KEM parameter sets of FIPS 203, §8 (Table 2 and Table 3).
/// </summary>
public sealed class MlKemParameterSet
{
    /// <summary>The size in bytes of an ML-KEM shared secret key K (FIPS 203, §8).</summary>
    public const int SharedSecretSize = 32;

    /// <summary>ML-KEM-512: k = 2, η1 = 3, η2 = 2, du = 10, dv = 4 (security category 1).</summary>
    public static MlKemParameterSet MlKem512 { get; } = new("ML-KEM-512", k: 2, eta1: 3, eta2: 2, du: 10, dv: 4);

    /// <summary>ML-KEM-768: k = 3, η1 = 2, η2 = 2, du = 10, dv = 4 (security category 3).</summary>
    public static MlKemParameterSet MlKem768 { get; } = new("ML-KEM-768", k: 3, eta1: 2, eta2: 2, du: 10, dv: 4);

    /// <summary>ML-KEM-1024: k = 4, η1 = 2, η2 = 2, du = 11, dv = 5 (security category 5).</summary>
    public static MlKemParameterSet MlKem1024 { get; } = new("ML-KEM-1024", k: 4, eta1: 2, eta2: 2, du: 11, dv: 5);

    private MlKemParameterSet(string name, int k, int eta1, int eta2, int du, int dv)
    {
        Name = name;
        K = k;
        Eta1 = eta1;
        Eta2 = eta2;
        Du = du;
        Dv = dv;
        EncapsulationKeySize = 384 * k + 32;
        DecapsulationKeySize = 768 * k + 96;
        CiphertextSize = 32 * (du * k + dv);
    }

    /// <summary>The parameter set's name as FIPS 203 writes it, e.g. "ML-KEM-768".</summary>
    public string Name { get; }

    /// <summary>The size in bytes of an encapsulation key ek: 384·k + 32.</summary>
    public int EncapsulationKeySize { get; }

    /// <summary>The size in bytes of a decapsulation key dk: 768·k + 96.</summary>
    public int DecapsulationKeySize { get; }

    /// <summary>The size in bytes of a ciphertext c: 32·(du·k + dv).</summary>
    public int CiphertextSize { get; }

    /// <summary>The module rank k (dimension of the vectors and matrix).</summary>
    internal int K { get; }

    /// <summary>η1, the CBD parameter for s, e (key generation) and y (encryption).</summary>
    internal int Eta1 { get; }

    /// <summary>η2, the CBD parameter for e1 and e2 (encryption).</summary>
    internal int Eta2 { get; }

    /// <summary>du, the compression width of the ciphertext's vector part u.</summary>
    internal int Du { get; }

    /// <summary>dv, the compression width of the ciphertext's polynomial part v.</summary>
    internal int Dv { get; }

    /// <summary>The size in bytes of the K-PKE decryption key dk_PKE: 384·k.</summary>
    internal int DkPkeSize => 384 * K;

    /// <summary>The size in bytes of the first ciphertext part c1: 32·du·k.</summary>
    internal int C1Size => 32 * Du * K;

    /// <summary>Returns <see cref="Name"/>.</summary>
    /// <returns>The parameter set's name.</returns>
    public override string ToString() => Name;
}
