using System.Text;
using Portcullis.Core.Config;

namespace Portcullis.Core.Vici;

/// <summary>
/// Turns what <c>swanctl --load-all</c> sends (load-conn, load-pool, load-shared) back into the swanctl.conf settings
/// tree, so that <see cref="SwanctlConfigLoader"/> checks and maps it with the very key tables it uses for files: one
/// mapping, the same errors. swanctl parses swanctl.conf itself and splits some values into VICI lists (its
/// <c>is_list_key</c>: addresses, proposals, selectors, vips, pools, groups; for pools every attribute but
/// <c>addrs</c>); a list goes back as the comma-separated value swanctl.conf would have had.
/// </summary>
public static class ViciConfigTree
{
    /// <summary>The "file" named in configuration errors about what came over VICI.</summary>
    public const string Origin = "vici";

    /// <summary>
    /// The sections of a load-conn or load-pool message (one per connection or pool, as swanctl sends them), as
    /// settings sections under <paramref name="parentPath"/> (<c>connections</c>, <c>pools</c>). Values that are
    /// not text (certificate blobs in <c>certs</c>/<c>cacerts</c>) are reported, not guessed at.
    /// </summary>
    public static IReadOnlyList<SettingsSection> Sections(ViciMessage message, string parentPath, string command, List<string> errors) =>
        Sections(message, parentPath, command, errors, []);

    /// <summary>
    /// As above; the certificates of <c>certs</c> and <c>cacerts</c> (swanctl sends each file's contents, as charon
    /// expects) go into <paramref name="certificates"/> under a name made from their contents
    /// (<see cref="CertificateName"/>), and that name becomes the value, as a file name would be in swanctl.conf.
    /// </summary>
    public static IReadOnlyList<SettingsSection> Sections(ViciMessage message, string parentPath, string command, List<string> errors,
        Dictionary<string, (bool Ca, byte[] Data)> certificates)
    {
        var result = new List<SettingsSection>();
        foreach (ViciEntry entry in message.Entries)
        {
            if (entry.Section is null)
            {
                errors.Add($"{command}: '{entry.Name}' is not a section; expected one section per name");
                continue;
            }
            var section = new SettingsSection(entry.Name, $"{parentPath}.{entry.Name}", new SourceLocation($"{Origin} {command}", 0));
            Fill(section, entry.Section, command, errors, certificates);
            result.Add(section);
        }
        return result;
    }

    private static void Fill(SettingsSection target, ViciMessage source, string command, List<string> errors, Dictionary<string, (bool Ca, byte[] Data)> certificates)
    {
        var at = new SourceLocation($"{Origin} {command}", 0);
        foreach (ViciEntry e in source.Entries)
        {
            if (e.Section is not null)
            {
                Fill(target.GetOrAddSection(e.Name, at), e.Section, command, errors, certificates);
                continue;
            }
            IEnumerable<byte[]> raw = e.Value is not null ? [e.Value] : e.Items!;
            if (e.Name == "pubkeys")
            {
                errors.Add($"{target.PathOf(e.Name)}: raw public keys are not supported by Portcullis yet");
                continue;
            }
            if (e.Name is "certs" or "cacerts")
            {
                var names = new List<string>();
                foreach (byte[] data in raw)
                {
                    string name = CertificateName(data);
                    certificates[name] = (e.Name == "cacerts", data);
                    names.Add(name);
                }
                target.Set(e.Name, string.Join(", ", names), at);
                continue;
            }
            List<string>? texts = [];
            foreach (byte[] item in raw)
            {
                if (!TryText(item, out string text))
                {
                    errors.Add($"{target.PathOf(e.Name)}: the value is not text");
                    texts = null;
                    break;
                }
                texts.Add(text);
            }
            if (texts is null) continue;
            target.Set(e.Name, string.Join(", ", texts), at);
        }
    }

    /// <summary>
    /// A load-shared request as the <c>secrets</c> section swanctl.conf would hold: <c>type</c> (ike, eap, xauth) and
    /// the request's <c>id</c> (swanctl sends the section name, e.g. <c>ike-gw</c>) name it, <c>owners</c> become
    /// <c>id-N</c> keys, and the secret's raw bytes are written as <c>0x…</c> so no byte is reinterpreted.
    /// </summary>
    public static SettingsSection? SharedSecret(ViciMessage message, List<string> errors)
    {
        string? type = message.Text("type")?.ToLowerInvariant();
        if (type is not ("ike" or "eap" or "xauth"))
        {
            errors.Add($"load-shared: type '{type ?? "(none)"}' is not supported (IKE, EAP or XAUTH)");
            return null;
        }
        byte[]? data = message.Blob("data");
        if (data is null || data.Length == 0)
        {
            errors.Add("load-shared: no secret in 'data'");
            return null;
        }
        string id = message.Text("id") is { Length: > 0 } given ? given : $"{type}-{string.Join("-", message.List("owners") ?? [])}";
        string name = id.StartsWith(type, StringComparison.OrdinalIgnoreCase) ? id : $"{type}-{id}";
        var at = new SourceLocation($"{Origin} load-shared", 0);
        var section = new SettingsSection(name, $"secrets.{name}", at);
        IReadOnlyList<string> owners = message.List("owners") ?? [];
        for (int i = 0; i < owners.Count; i++) section.Set($"id-{i}", owners[i], at);
        section.Set("secret", "0x" + Convert.ToHexString(data), at);
        return section;
    }

    /// <summary>
    /// The configuration the daemon runs: the file's tree with the connections, pools and secrets loaded over VICI
    /// added, each replacing a file section of the same name (as a later definition replaces an earlier one in
    /// swanctl.conf). The file's tree is not changed.
    /// </summary>
    public static SettingsSection Merge(SettingsSection file, IReadOnlyList<SettingsSection> connections, IReadOnlyList<SettingsSection> pools, IReadOnlyList<SettingsSection> secrets)
    {
        var overrides = new Dictionary<string, IReadOnlyList<SettingsSection>>
        {
            ["connections"] = connections,
            ["pools"] = pools,
            ["secrets"] = secrets,
        };
        var root = new SettingsSection(file.Name, file.Path, file.Location);
        foreach (SettingsValue v in file.Values) root.Set(v.Key, v.Value, v.Location);
        foreach (SettingsSection section in file.Sections)
        {
            SettingsSection copy = root.GetOrAddSection(section.Name, section.Location);
            if (!overrides.TryGetValue(section.Name, out IReadOnlyList<SettingsSection>? replaced))
            {
                Copy(section, copy);
                continue;
            }
            foreach (SettingsValue v in section.Values) copy.Set(v.Key, v.Value, v.Location);
            foreach (SettingsSection sub in section.Sections)
                if (!replaced.Any(r => r.Name == sub.Name)) Copy(sub, copy.GetOrAddSection(sub.Name, sub.Location));
        }
        foreach ((string parent, IReadOnlyList<SettingsSection> added) in overrides)
        {
            if (added.Count == 0) continue;
            SettingsSection target = root.GetOrAddSection(parent, added[0].Location);
            foreach (SettingsSection section in added) Copy(section, target.GetOrAddSection(section.Name, section.Location));
        }
        return root;
    }

    private static void Copy(SettingsSection from, SettingsSection to)
    {
        foreach (SettingsValue v in from.Values) to.Set(v.Key, v.Value, v.Location);
        foreach (SettingsSection sub in from.Sections) Copy(sub, to.GetOrAddSection(sub.Name, sub.Location));
    }

    /// <summary>The name a certificate or key sent over VICI is known by: <c>vici-</c> and 16 hex digits of its SHA-256.</summary>
    public static string CertificateName(byte[] data) => "vici-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data))[..16];

    /// <summary>The id under which a secret section is known to get-shared/unload-shared: the request's id, else the section name.</summary>
    public static string SecretId(ViciMessage message, SettingsSection section) => message.Text("id") is { Length: > 0 } id ? id : section.Name;

    private static bool TryText(byte[] value, out string text)
    {
        text = "";
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        foreach (char c in text)
            if (char.IsControl(c)) return false;
        return true;
    }
}
