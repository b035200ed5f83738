using System.Text.RegularExpressions;

namespace Portcullis.Host.Daemon;

/// <summary>
/// Files holding secrets must not be readable by anyone but their owner: each swanctl.conf file read that has a
/// <c>secrets</c> section, and every private key in the folders beside swanctl.conf (private/, rsa/, ecdsa/, pkcs8/).
/// One warning per file with its mode and the fix; the daemon still starts (strongSwan does not check at all).
/// </summary>
internal static partial class SecretFilePermissions
{
    private static readonly string[] s_keyFolders = ["private", "rsa", "ecdsa", "pkcs8"];

    /// <summary>The warnings for <paramref name="filesRead"/> (path and text) and the key folders beside <paramref name="configPath"/>.</summary>
    public static IReadOnlyList<string> Check(string configPath, IEnumerable<(string Path, string Text)> filesRead)
    {
        var warnings = new List<string>();
        if (OperatingSystem.IsWindows()) return warnings;
        foreach ((string path, string text) in filesRead)
            if (SecretsSection().IsMatch(text) && Warning(path, "holds secrets") is { } w) warnings.Add(w);
        string folder = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        foreach (string sub in s_keyFolders)
        {
            string dir = Path.Combine(folder, sub);
            if (!Directory.Exists(dir)) continue;
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                if (Warning(file, "is a private key") is { } w) warnings.Add(w);
        }
        return warnings;
    }

    private static string? Warning(string path, string what)
    {
        if (OperatingSystem.IsWindows()) return null;
        UnixFileMode mode;
        try { mode = File.GetUnixFileMode(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        bool group = (mode & UnixFileMode.GroupRead) != 0, others = (mode & UnixFileMode.OtherRead) != 0;
        if (!group && !others) return null;
        string who = group && others ? "group and others" : group ? "its group" : "others";
        return $"{path} {what} and is readable by {who} (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}): chmod 600 {path}";
    }

    [GeneratedRegex(@"(^|[\s{}])secrets\s*\{", RegexOptions.Multiline)]
    private static partial Regex SecretsSection();
}
