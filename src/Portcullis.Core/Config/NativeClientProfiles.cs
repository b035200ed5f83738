using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Config;

/// <summary>
/// One built-in IKEv2 client's default offer: the proposals it sends, in its order, as strongSwan proposal strings,
/// and the same parsed through <see cref="ProposalParser"/> (so every algorithm is a registry transform).
/// </summary>
public sealed class NativeClientProfile
{
    internal NativeClientProfile(string name, string displayName, string versions, IReadOnlyList<string> ike, IReadOnlyList<string> esp)
    {
        Name = name;
        DisplayName = displayName;
        Versions = versions;
        IkeProposalText = ike;
        EspProposalText = esp;
        IkeProposals = Parse(ike, ProposalKind.Ike);
        EspProposals = Parse(esp, ProposalKind.Esp);
        AcceptedIkeProposals = IkeProposals.Where(p => !p.Transforms.Any(NativeClientProfiles.NeverAccepted)).ToList();
        AcceptedEspProposals = EspProposals.Where(p => !p.Transforms.Any(NativeClientProfiles.NeverAccepted)).ToList();
    }

    /// <summary>The value for <c>compat</c> (<c>windows</c>, <c>macos-ios</c>, <c>android</c>, <c>strongswan-app</c>).</summary>
    public string Name { get; }

    /// <summary>The client's name for log lines (<c>Windows</c>).</summary>
    public string DisplayName { get; }

    /// <summary>Which versions the lists were taken from.</summary>
    public string Versions { get; }

    /// <summary>The IKE proposals the client sends, in its order, in strongSwan's notation.</summary>
    public IReadOnlyList<string> IkeProposalText { get; }

    /// <summary>The ESP proposals the client sends in IKE_AUTH, in its order, in strongSwan's notation.</summary>
    public IReadOnlyList<string> EspProposalText { get; }

    /// <summary><see cref="IkeProposalText"/> parsed.</summary>
    public IReadOnlyList<Proposal> IkeProposals { get; }

    /// <summary><see cref="EspProposalText"/> parsed.</summary>
    public IReadOnlyList<Proposal> EspProposals { get; }

    /// <summary>The IKE proposals compat adds: all but those with a transform compat never accepts.</summary>
    public IReadOnlyList<Proposal> AcceptedIkeProposals { get; }

    /// <summary>The ESP proposals compat adds: Windows' single-DES and NULL ones are left out.</summary>
    public IReadOnlyList<Proposal> AcceptedEspProposals { get; }

    /// <summary>The proposals of one kind.</summary>
    public IReadOnlyList<Proposal> Proposals(ProposalKind kind) => kind == ProposalKind.Ike ? IkeProposals : EspProposals;

    /// <summary>The proposals of one kind that compat adds.</summary>
    public IReadOnlyList<Proposal> AcceptedProposals(ProposalKind kind) => kind == ProposalKind.Ike ? AcceptedIkeProposals : AcceptedEspProposals;

    /// <inheritdoc />
    public override string ToString() => Name;

    private static List<Proposal> Parse(IReadOnlyList<string> texts, ProposalKind kind)
    {
        var proposals = new List<Proposal>();
        foreach (string text in texts)
        {
            (IReadOnlyList<Proposal> parsed, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
            // The table below is ours: a proposal that does not parse is a bug, caught by the tests at once.
            if (errors.Count > 0) throw new InvalidOperationException($"compat profile proposal '{text}': {string.Join("; ", errors)}");
            proposals.AddRange(parsed);
        }
        return proposals;
    }
}

/// <summary>One legacy algorithm a compat setting lets a connection accept, and the clients whose lists need it.</summary>
public sealed record CompatLegacyAlgorithm(Transform Transform, IReadOnlyList<NativeClientProfile> OfferedBy);

/// <summary>
/// The compat profiles for the built-in IKEv2 clients (<c>compat = native-clients</c> or a list of profile names, a
/// Portcullis extension of swanctl.conf that strongSwan does not know). A connection with compat accepts its
/// configured proposals and, after them, each profile's proposals that the configured ones do not already cover.
/// </summary>
/// <remarks>
/// Sources, as read in 2026 (where they disagree, the most recent authoritative one wins; the README lists them too):
/// <list type="bullet">
/// <item>Windows 10/11: strongSwan, "Windows Clients" (docs.strongswan.org/docs/latest/interop/windowsClients.html) for
/// the set: 3DES, AES-CBC 128/192/256 with SHA-1/SHA-256/SHA-384 and only MODP-1024; Windows 11 also AES-GCM 128/256 with
/// MODP-1024; ESP AES-256, AES-128, 3DES, DES and NULL with SHA-1. The order of the CBC proposals is a Windows 10
/// client's as logged by charon in github.com/trailofbits/algo/issues/9; another Windows 10 log
/// (github.com/quericy/one-key-ikev2-vpn/issues/124) shows only 3DES and AES-256, interleaved, a subset of this list.
/// Where Windows 11 puts its GCM proposals is not published: they come last here. Microsoft documents no default list
/// (learn.microsoft.com, Set-VpnConnectionIPsecConfiguration only sets a custom policy).</item>
/// <item>macOS/iOS, configured by hand without a profile: strongSwan, "iOS and macOS"
/// (docs.strongswan.org/docs/latest/interop/ios.html), iOS 16.5 (macOS 13.4 sends the same without ECP-256). iOS
/// repeats aes256-sha256 in ESP with different groups for rekeying; in IKE_AUTH those are one proposal. A
/// configuration profile or NEVPNProtocolIKEv2 instead proposes its one suite (defaults AES-256, SHA2-256, group 14 since
/// iOS 14/macOS 11: developer.apple.com NEVPNIKEv2SecurityAssociationParameters), which Portcullis' defaults accept.</item>
/// <item>Android 11+ (the built-in IKEv2/IPsec PSK, RSA and MSCHAPv2 VPN types): AOSP
/// frameworks/base VpnIkev2Utils.getIkeSaProposals and getChildSaProposals with Ikev2VpnProfile.DEFAULT_ALGORITHMS, as on
/// current AOSP (Android 13 and later; CTR, XCBC, CMAC and ChaCha20-Poly1305 in ESP only where the kernel has them).
/// Android 11 and 12 send a subset (AES-CBC and AES-GCM, PRF AES-XCBC and SHA-1, MODP 2048-4096), which this profile
/// accepts too.</item>
/// <item>strongSwan VPN Client for Android without algorithms set in its profile: strongswan/strongswan
/// src/frontends/android/.../android_service.c: IKE strongSwan's default proposals, ESP four proposals (AEAD and
/// classic, each with and without PFS groups).</item>
/// </list>
/// </remarks>
public static class NativeClientProfiles
{
    /// <summary>The <c>compat</c> value that selects every profile.</summary>
    public const string AllKeyword = "native-clients";

    /// <summary>Every profile, in the order they are merged.</summary>
    public static IReadOnlyList<NativeClientProfile> All { get; } =
    [
        new("windows", "Windows", "Windows 10 and 11 built-in client (Agile VPN), default policy",
            ike:
            [
                "3des-sha1-modp1024", "3des-sha256-modp1024", "3des-sha384-modp1024",
                "aes128-sha1-modp1024", "aes128-sha256-modp1024", "aes128-sha384-modp1024",
                "aes192-sha1-modp1024", "aes192-sha256-modp1024", "aes192-sha384-modp1024",
                "aes256-sha1-modp1024", "aes256-sha256-modp1024", "aes256-sha384-modp1024",
                // Windows 11 only.
                "aes128gcm16-prfsha1-modp1024", "aes128gcm16-prfsha256-modp1024", "aes128gcm16-prfsha384-modp1024",
                "aes256gcm16-prfsha1-modp1024", "aes256gcm16-prfsha256-modp1024", "aes256gcm16-prfsha384-modp1024",
            ],
            esp: ["aes256-sha1", "aes128-sha1", "3des-sha1", "des-sha1", "null-sha1"]),
        new("macos-ios", "macOS/iOS", "iOS 16.5 and macOS 13.4 built-in client configured without a profile",
            ike: ["aes256-sha256-modp2048", "aes256-sha256-ecp256", "aes256-sha256-modp1536", "aes128-sha1-modp1024", "3des-sha1-modp1024"],
            esp: ["aes256-sha256", "aes128-sha1", "3des-sha1"]),
        new("android", "Android", "Android 11+ built-in IKEv2/IPsec client (AOSP VpnIkev2Utils, Android 13+ lists)",
            ike:
            [
                "aes256ctr-aes256-aes192ctr-aes192-aes128ctr-aes128-sha512-sha384-sha256-aesxcbc-aescmac-"
                    + "prfsha512-prfsha384-prfsha256-prfaesxcbc-prfaescmac-prfsha1-modp4096-curve25519-modp3072-modp2048",
                "chacha20poly1305-aes256gcm16-aes256gcm12-aes256gcm8-aes192gcm16-aes192gcm12-aes192gcm8-aes128gcm16-aes128gcm12-aes128gcm8-"
                    + "prfsha512-prfsha384-prfsha256-prfaesxcbc-prfaescmac-prfsha1-modp4096-curve25519-modp3072-modp2048",
            ],
            esp:
            [
                "aes256ctr-aes256-aes192ctr-aes192-aes128ctr-aes128-sha512-sha384-sha256-aesxcbc-aescmac",
                "chacha20poly1305-aes256gcm16-aes256gcm12-aes256gcm8-aes192gcm16-aes192gcm12-aes192gcm8-aes128gcm16-aes128gcm12-aes128gcm8",
            ]),
        new("strongswan-app", "the strongSwan app", "strongSwan VPN Client for Android, no algorithms set in its profile",
            ike: ["default"],
            esp:
            [
                "aes256gcm16-aes128gcm16-chacha20poly1305-curve25519-ecp384-ecp521-modp3072-modp4096-ecp256-modp8192",
                "aes256-aes192-aes128-sha384-sha256-sha512-sha1-curve25519-ecp384-ecp521-modp3072-modp4096-ecp256-modp2048-modp8192",
                "aes256gcm16-aes128gcm16-chacha20poly1305",
                "aes256-aes192-aes128-sha384-sha256-sha512-sha1",
            ]),
    ];

    /// <summary>
    /// Transforms compat never accepts even though a client offers them: ENCR_DES (IANA 2) and ENCR_NULL (11). Windows
    /// offers them last, after AES, so leaving them out costs no client a connection.
    /// </summary>
    internal static bool NeverAccepted(Transform t) => t.Type == TransformType.Encryption && t.Id is 2 or 11;

    /// <summary>The profile with this name, or null.</summary>
    public static NativeClientProfile? Find(string name) =>
        All.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Parses a <c>compat</c> value: <c>native-clients</c>, or a comma list of profile names. Returns the profiles in
    /// <see cref="All"/>'s order, each once.
    /// </summary>
    public static bool TryParse(string value, out IReadOnlyList<NativeClientProfile> profiles, out string? error)
    {
        profiles = [];
        var chosen = new HashSet<NativeClientProfile>();
        foreach (string raw in value.Split(','))
        {
            string name = raw.Trim();
            if (name.Equals(AllKeyword, StringComparison.OrdinalIgnoreCase))
            {
                chosen.UnionWith(All);
                continue;
            }
            NativeClientProfile? profile = Find(name);
            if (profile is null)
            {
                error = name.Length == 0
                    ? $"empty compat profile in '{value}'"
                    : $"unknown compat profile '{name}' ({AllKeyword}, or a list of {string.Join(", ", All.Select(p => p.Name))})";
                return false;
            }
            chosen.Add(profile);
        }
        profiles = All.Where(chosen.Contains).ToList();
        error = null;
        return true;
    }

    /// <summary>The <c>compat</c> value that selects <paramref name="profiles"/>: <c>native-clients</c> for all of them.</summary>
    public static string Describe(IReadOnlyList<NativeClientProfile> profiles) =>
        profiles.Count == All.Count ? AllKeyword : string.Join(",", profiles.Select(p => p.Name));

    /// <summary>
    /// The effective proposals: <paramref name="configured"/> unchanged and first (the configuration's preference
    /// wins), then each profile's accepted proposals that no proposal before them covers. The added ones are ordered
    /// by how many legacy transforms they hold, fewest first, so a client that offers AES is never given 3DES.
    /// </summary>
    public static IReadOnlyList<Proposal> Merge(IReadOnlyList<Proposal> configured, IReadOnlyList<NativeClientProfile> profiles, ProposalKind kind)
    {
        if (profiles.Count == 0) return configured;
        var added = new List<Proposal>();
        foreach (NativeClientProfile profile in profiles)
        {
            foreach (Proposal candidate in profile.AcceptedProposals(kind))
            {
                if (configured.Any(c => Covers(c, candidate)) || added.Any(a => Covers(a, candidate))) continue;
                added.Add(candidate);
            }
        }
        return [.. configured, .. added.OrderBy(p => p.Transforms.Count(t => t.Legacy))];
    }

    /// <summary>
    /// True when <paramref name="existing"/> accepts whatever a peer offering <paramref name="candidate"/> could be
    /// given: for every transform type, the candidate's transforms are among the existing proposal's, and both or
    /// neither have transforms of that type (an ESP proposal with a PFS group does not cover one without).
    /// </summary>
    public static bool Covers(Proposal existing, Proposal candidate)
    {
        foreach (TransformType type in Enum.GetValues<TransformType>())
        {
            List<Transform> theirs = candidate.OfType(type).ToList(), ours = existing.OfType(type).ToList();
            if (theirs.Count == 0 != (ours.Count == 0)) return false;
            if (!theirs.All(ours.Contains)) return false;
        }
        return true;
    }

    /// <summary>
    /// The legacy transforms the connection accepts only because of its compat setting (in its IKE proposals or any
    /// child's ESP proposals, not in what was configured), each with the profiles whose lists hold it.
    /// </summary>
    public static IReadOnlyList<CompatLegacyAlgorithm> LegacyAllowed(ConnectionConfig connection)
    {
        if (connection.Compat.Count == 0) return [];
        var configured = new HashSet<Transform>(connection.ConfiguredProposals.SelectMany(p => p.Transforms)
            .Concat(connection.Children.SelectMany(c => c.ConfiguredEspProposals).SelectMany(p => p.Transforms)));
        IEnumerable<Proposal> effective = connection.Proposals.Concat(connection.Children.SelectMany(c => c.EspProposals));
        var result = new List<CompatLegacyAlgorithm>();
        foreach (Proposal proposal in effective)
        {
            foreach (Transform t in proposal.Transforms.Where(t => t.Legacy && !configured.Contains(t)))
            {
                if (result.Any(r => r.Transform == t)) continue;
                List<NativeClientProfile> offeredBy = connection.Compat
                    .Where(profile => Enum.GetValues<ProposalKind>().Any(k => profile.AcceptedProposals(k).Any(p => p.Transforms.Contains(t))))
                    .ToList();
                result.Add(new CompatLegacyAlgorithm(t, offeredBy));
            }
        }
        // Type by type in the RFC's order (ENCR, PRF, INTEG, KE), then in the registry's, so the line reads the same each time.
        return result.OrderBy(r => r.Transform.Type).ThenBy(r => IndexOf(r.Transform)).ToList();
    }

    private static int IndexOf(Transform t)
    {
        for (int i = 0; i < TransformRegistry.All.Count; i++) if (TransformRegistry.All[i] == t) return i;
        return int.MaxValue;
    }

    /// <summary>
    /// What the connection's compat setting allows, for the log at configuration load: e.g.
    /// <c>compat native-clients accepts legacy algorithms ENCR_3DES (Windows, macOS/iOS), …; 20 IKE and 6 ESP
    /// proposals added</c>. Null when the connection has no compat setting.
    /// </summary>
    public static string? DescribeCompat(ConnectionConfig connection)
    {
        if (connection.Compat.Count == 0) return null;
        IReadOnlyList<CompatLegacyAlgorithm> legacy = LegacyAllowed(connection);
        int ike = connection.Proposals.Count - connection.ConfiguredProposals.Count;
        int esp = connection.Children.Sum(c => c.EspProposals.Count - c.ConfiguredEspProposals.Count);
        string what = legacy.Count == 0
            ? "accepts no legacy algorithm"
            : "accepts legacy algorithms " + string.Join(", ", legacy.Select(l => $"{l.Transform.Name} ({string.Join(", ", l.OfferedBy.Select(p => p.DisplayName))})"));
        return $"compat {Describe(connection.Compat)} {what}; {ike} IKE and {esp} ESP proposals added after the configured ones";
    }
}
