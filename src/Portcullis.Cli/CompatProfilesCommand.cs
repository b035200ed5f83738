using Portcullis.Core.Config;

namespace Portcullis.Cli;

/// <summary>
/// `portcullis compat-profiles [NAME…]`: each built-in client's default proposals, exactly as it sends them, in
/// strongSwan's notation, one line per profile and SA kind (so a script can hand them to strongSwan unchanged).
/// </summary>
internal static class CompatProfilesCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var profiles = new List<NativeClientProfile>();
        foreach (string arg in args)
        {
            if (arg is "-h" or "--help")
            {
                stdout.WriteLine("Usage: portcullis compat-profiles [NAME...]");
                return 0;
            }
            if (NativeClientProfiles.Find(arg) is not { } profile)
            {
                stderr.WriteLine($"portcullis compat-profiles: unknown profile '{arg}' ({string.Join(", ", NativeClientProfiles.All.Select(p => p.Name))})");
                return CommandLine.UsageError;
            }
            profiles.Add(profile);
        }
        if (profiles.Count == 0) profiles.AddRange(NativeClientProfiles.All);

        int width = Math.Max("PROFILE".Length, profiles.Max(p => p.Name.Length));
        stdout.WriteLine($"{"PROFILE".PadRight(width)}  SA   PROPOSALS");
        foreach (NativeClientProfile p in profiles)
        {
            stdout.WriteLine($"{p.Name.PadRight(width)}  ike  {string.Join(",", p.IkeProposalText)}");
            stdout.WriteLine($"{p.Name.PadRight(width)}  esp  {string.Join(",", p.EspProposalText)}");
        }
        return 0;
    }
}
