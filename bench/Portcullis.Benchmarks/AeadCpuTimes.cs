using System.Diagnostics;
using System.Globalization;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Native;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Crypto.Transforms;

namespace Portcullis.Benchmarks;

/// <summary>
/// <c>aead [--rounds R] [--seconds S]</c>: per-packet Seal and Open in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
/// median of R interleaved rounds, beside two OpenSSL figures taken in the same rounds, also in CPU time:
/// <c>openssl speed -evp</c> (the reference: one context, buffers streamed through it, encryption only, no IV,
/// AAD or tag per buffer; speed divides by its CPU user time unless <c>-elapsed</c>), and <c>bench/aead-per-packet.c</c>
/// (built here with gcc: OpenSSL's EVP calls for one IPsec packet, in C, on a context keyed once: the floor of any
/// binding that goes through EVP). BenchmarkDotNet measures wall time, which on a shared machine also counts the time
/// other processes held the core, against speed's CPU time. The <c>EVP layer (before)</c> rows run the transform
/// through the same EVP calls from C#, as Portcullis did before it called the provider's functions directly.
/// (<c>openssl speed -aead</c> is no per-packet reference on OpenSSL 3.0: for ChaCha20-Poly1305 it streams like
/// <c>-evp</c>; callgrind shows no EVP_EncryptInit_ex or EVP_EncryptFinal_ex in it.)
/// </summary>
internal static class AeadCpuTimes
{
    private static readonly (string Keyword, string Evp, int KeyBytes)[] Ciphers =
        [("aes128gcm16", "AES-128-GCM", 16), ("aes256gcm16", "AES-256-GCM", 32), ("chacha20poly1305", "ChaCha20-Poly1305", 32)];

    public static int Run(string[] args)
    {
        int rounds = 5, seconds = 1;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            else if (args[i] == "--seconds") seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        var cases = new List<(string Cipher, string Impl, string Op, int Size, Action Run)>();
        foreach (var (keyword, evp, keyBytes) in Ciphers)
        {
            var t = TransformRegistry.Get<EncryptionTransform>(keyword);
            byte[] keyMaterial = new byte[t.KeyMaterialSize];
            Random.Shared.NextBytes(keyMaterial);
            foreach (int size in (int[])[64, 1400])
            {
                foreach (var (impl, aead) in new[] { ("Portcullis", t.CreateAead(keyMaterial)), ("EVP layer (before)", (IAead)new EvpLayerAead(evp, keyMaterial, 16)) })
                {
                    byte[] iv = new byte[8], aad = new byte[8], plaintext = new byte[size], ciphertext = new byte[size], opened = new byte[size], icv = new byte[16];
                    Random.Shared.NextBytes(plaintext);
                    aead.Seal(iv, aad, plaintext, ciphertext, icv);
                    if (!aead.Open(iv, aad, ciphertext, icv, opened) || !opened.AsSpan().SequenceEqual(plaintext))
                        throw new InvalidOperationException($"{impl} {keyword} does not round-trip");
                    cases.Add((evp, impl, "Seal", size, () => aead.Seal(iv, aad, plaintext, ciphertext, icv)));
                    cases.Add((evp, impl, "Open", size, () => aead.Open(iv, aad, ciphertext, icv, opened)));
                }
            }
        }
        var samples = cases.Select(_ => new List<double>()).ToArray();
        var groups = cases.Select((c, i) => (c, i)).GroupBy(x => (x.c.Cipher, x.c.Op, x.c.Size)).ToArray();
        var stream = groups.Select(_ => new List<double>()).ToArray();
        var floor = groups.Select(_ => new List<double>()).ToArray();
        string floorBinary = BuildPerPacketInC();
        for (int round = -1; round < rounds; round++) // round −1 warms up (JIT tiers), not counted
        {
            for (int i = 0; i < cases.Count; i++)
            {
                const int n = 20_000;
                long start = IkePair.ThreadCpuNanoseconds();
                for (int k = 0; k < n; k++) cases[i].Run();
                if (round >= 0) samples[i].Add((IkePair.ThreadCpuNanoseconds() - start) / (double)n);
            }
            // OpenSSL's figures in the same rounds, so a change in the machine's load reaches both sides alike.
            for (int g = 0; g < groups.Length && round >= 0; g++)
            {
                var (cipher, op, size) = groups[g].Key;
                stream[g].Add(OpenSslSpeedNanoseconds(cipher, size, seconds));
                floor[g].Add(PerPacketInC(floorBinary, cipher, op, size));
            }
        }
        Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {Environment.ProcessorCount} cores, .NET {Environment.Version}, CPU time, median of {rounds} interleaved rounds (20,000 packets each; openssl speed -evp -seconds {seconds}; aead-per-packet.c 20,000 packets)");
        Console.WriteLine("| cipher | op | bytes | Portcullis ns | EVP layer from C# (before) ns | OpenSSL per packet in C ns | openssl speed -evp (stream) ns | Portcullis / speed | before / speed | Portcullis / C per packet | C per packet / speed |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            double ours = Median(samples[group.First(x => x.c.Impl == "Portcullis").i]);
            double before = Median(samples[group.First(x => x.c.Impl != "Portcullis").i]);
            double speed = Median(stream[g]), c = Median(floor[g]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key.Cipher} | {group.Key.Op} | {group.Key.Size} | {ours:F0} | {before:F0} | {c:F0} | {speed:F0} | {speed / ours:F2} | {speed / before:F2} | {c / ours:F2} | {speed / c:F2} |"));
        }
        return 0;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }

    /// <summary>Nanoseconds per buffer from <c>openssl speed -mr -evp</c> (bytes per second of CPU user time).</summary>
    private static double OpenSslSpeedNanoseconds(string cipher, int size, int seconds)
    {
        string output = Run("openssl", "speed", "-mr", "-seconds", seconds.ToString(CultureInfo.InvariantCulture),
            "-bytes", size.ToString(CultureInfo.InvariantCulture), "-evp", cipher.ToLowerInvariant());
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("+F:", StringComparison.Ordinal));
        return line is null ? double.NaN : size / double.Parse(line.Split(':')[3], CultureInfo.InvariantCulture) * 1e9;
    }

    /// <summary>Compiles bench/aead-per-packet.c (next to this project) into a temporary file.</summary>
    private static string BuildPerPacketInC()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "aead-per-packet.c");
        string binary = Path.Combine(Path.GetTempPath(), $"aead-per-packet-{Environment.ProcessId}");
        Run("gcc", "-O2", "-o", binary, source, "-lcrypto");
        if (!File.Exists(binary)) throw new InvalidOperationException("gcc could not build aead-per-packet.c (libssl-dev installed?)");
        return binary;
    }

    private static double PerPacketInC(string binary, string cipher, string op, int size) =>
        double.Parse(Run(binary, cipher, size.ToString(CultureInfo.InvariantCulture), "20000", op.ToLowerInvariant()).Trim(), CultureInfo.InvariantCulture);

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}

/// <summary>
/// The EVP-layer AEAD as Portcullis had it before <see cref="CipherDispatch"/>: contexts keyed once per SA, then per
/// packet <c>EVP_CipherInit_ex</c> with the IV, the AAD and data through <c>EVP_CipherUpdate</c>,
/// <c>EVP_CipherFinal_ex</c>, and the tag through <c>EVP_CIPHER_CTX_ctrl</c>. Benchmark reference only.
/// </summary>
internal sealed unsafe class EvpLayerAead : SaltedAead
{
    private const int EVP_CTRL_AEAD_SET_IVLEN = 0x9;
    private const int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private const int EVP_CTRL_AEAD_SET_TAG = 0x11;
    private readonly EvpContextPair _contexts;

    public EvpLayerAead(string cipher, ReadOnlySpan<byte> keyMaterial, int icvSize) : base(keyMaterial[^4..], icvSize) =>
        _contexts = new EvpContextPair(cipher, keyMaterial[..^4], beforeKey: ctx =>
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, null), "EVP_CTRL_AEAD_SET_IVLEN"));

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        nint ctx = _contexts.Encrypt;
        fixed (byte* n = nonce, aad = associatedData, input = plaintext, output = ciphertext, t = tag)
        {
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, n, 1), "EVP_CipherInit_ex");
            if (associatedData.Length > 0) LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, null, out _, aad, associatedData.Length), "EVP_CipherUpdate");
            if (plaintext.Length > 0) LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, output, out _, input, plaintext.Length), "EVP_CipherUpdate");
            LibCrypto.Check(LibCrypto.EVP_CipherFinal_ex(ctx, output, out _), "EVP_CipherFinal_ex");
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag.Length, t), "EVP_CTRL_AEAD_GET_TAG");
        }
    }

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        nint ctx = _contexts.Decrypt;
        fixed (byte* n = nonce, aad = associatedData, input = ciphertext, output = plaintext, t = tag)
        {
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, n, 0), "EVP_CipherInit_ex");
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag.Length, t), "EVP_CTRL_AEAD_SET_TAG");
            if (associatedData.Length > 0) LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, null, out _, aad, associatedData.Length), "EVP_CipherUpdate");
            if (ciphertext.Length > 0) LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, output, out _, input, ciphertext.Length), "EVP_CipherUpdate");
            bool ok = LibCrypto.EVP_CipherFinal_ex(ctx, output, out _) > 0;
            if (!ok) LibCrypto.ERR_clear_error();
            return ok;
        }
    }

    protected override void DisposePrimitive() => _contexts.Dispose();
}
