using Portcullis.Host.Daemon;

namespace Portcullis.Host.Tests;

/// <summary>Files with secrets readable by group or others are named in a warning with their mode and the fix.</summary>
public sealed class SecretFilePermissionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pc-perm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string text, UnixFileMode mode)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode644 = Mode600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode640 = Mode600 | UnixFileMode.GroupRead;

    private const string WithSecrets = "connections { }\nsecrets {\n  ike-a {\n    secret = \"s3cret\"\n  }\n}\n";

    [Fact]
    public void A_world_readable_swanctl_conf_with_secrets_is_named_with_its_mode_and_the_fix()
    {
        string conf = Write("swanctl.conf", WithSecrets, Mode644);
        string warning = Assert.Single(SecretFilePermissions.Check(conf, [(conf, WithSecrets)]));
        Assert.Equal($"{conf} holds secrets and is readable by group and others (mode 0644): chmod 600 {conf}", warning);
    }

    [Fact]
    public void Owner_only_files_and_files_without_secrets_give_no_warning()
    {
        string conf = Write("swanctl.conf", WithSecrets, Mode600);
        string other = Write("conf.d/conns.conf", "connections { gw { } }\n", Mode644);
        Assert.Empty(SecretFilePermissions.Check(conf, [(conf, WithSecrets), (other, "connections { gw { } }\n")]));
    }

    [Fact]
    public void An_included_file_with_secrets_and_a_group_readable_private_key_are_named()
    {
        string conf = Write("swanctl.conf", "include secrets.conf\n", Mode644);
        string secrets = Write("secrets.conf", WithSecrets, Mode640);
        string key = Write("private/server.pem", "-----BEGIN PRIVATE KEY-----\n", Mode640);
        Write("x509/server.pem", "-----BEGIN CERTIFICATE-----\n", Mode644); // public: fine
        IReadOnlyList<string> warnings = SecretFilePermissions.Check(conf, [(conf, "include secrets.conf\n"), (secrets, WithSecrets)]);
        Assert.Equal([$"{secrets} holds secrets and is readable by its group (mode 0640): chmod 600 {secrets}",
            $"{key} is a private key and is readable by its group (mode 0640): chmod 600 {key}"], warnings);
    }
}
