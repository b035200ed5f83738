using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Crypto.Signatures;

namespace Portcullis.Cli;

/// <summary>`portcullis algorithms`: the transform registry as a table an admin can grep.</summary>
internal static class AlgorithmsCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        Func<bool, bool> filter = _ => true;
        foreach (string arg in args)
        {
            switch (arg)
            {
                case "--all": filter = _ => true; break;
                case "--default": filter = legacy => !legacy; break;
                case "--legacy": filter = legacy => legacy; break;
                case "-h" or "--help":
                    stdout.WriteLine("Usage: portcullis algorithms [--all|--default|--legacy]");
                    return 0;
                default:
                    stderr.WriteLine($"portcullis algorithms: unknown option '{arg}'");
                    return CommandLine.UsageError;
            }
        }

        var rows = new List<string[]> { new[] { "TYPE", "ID", "KEYLEN", "KEYWORD", "NAME", "KIND", "USE", "DEFAULT" } };
        foreach (Transform t in TransformRegistry.All.Where(t => filter(t.Legacy)))
        {
            // AES-GMAC as an integrity transform is AH's only (ESP negotiates it as ENCR_NULL_AUTH_AES_GMAC).
            string use = t is IntegrityTransform { ForEsp: false, ForAh: true } ? "ah" : (t.ForIke, t.ForEsp) switch { (true, true) => "ike,esp", (true, false) => "ike", _ => "esp" };
            rows.Add([TypeName(t.Type), t.Id.ToString(), t.KeyBits == 0 ? "-" : t.KeyBits.ToString(), t.Keyword, t.Name, t.Kind, use, t.Legacy ? "no (legacy)" : "yes"]);
        }
        foreach (SignatureScheme s in SignatureScheme.All.Where(s => filter(s.Legacy)))
            rows.Add(["AUTH", s.HashId.ToString(), "-", s.Keyword, s.AuthMethod is { } m ? $"auth method {m} / RFC 7427" : "RFC 7427", "signature", "ike", s.Legacy ? "no (legacy)" : "yes"]);

        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (string[] row in rows)
            stdout.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        return 0;
    }

    private static string TypeName(Core.Crypto.TransformType type) => type switch
    {
        Core.Crypto.TransformType.Encryption => "ENCR",
        Core.Crypto.TransformType.Prf => "PRF",
        Core.Crypto.TransformType.Integrity => "INTEG",
        Core.Crypto.TransformType.KeyExchange => "KE",
        _ => "ESN",
    };
}
