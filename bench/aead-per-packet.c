/* OpenSSL's own cost of one AEAD packet, in C: the EVP calls an IPsec implementation makes per packet on a context
 * keyed once (IV; the expected tag when opening; 8 bytes of AAD; the data; final; the tag when sealing), timed in
 * process CPU time. `openssl speed -evp` streams buffers through one context without any of these per-packet steps,
 * so this is the floor a binding can reach per packet, and the gap to speed's figure is OpenSSL's, not the binding's.
 * Usage: aead-per-packet CIPHER BYTES ITERATIONS seal|open      prints nanoseconds per packet.
 * Built and run by the benchmark program's `aead` mode (bench/Portcullis.Benchmarks/AeadCpuTimes.cs). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char key[32], iv[12], aad[8], pt[65536], ct[65536], out[65536], tag[16];

static int seal(EVP_CIPHER_CTX *c, int n)
{
    int l;
    return EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, 1) == 1
        && EVP_CipherUpdate(c, NULL, &l, aad, sizeof aad) == 1
        && EVP_CipherUpdate(c, ct, &l, pt, n) == 1
        && EVP_CipherFinal_ex(c, ct, &l) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
}

static int open_packet(EVP_CIPHER_CTX *c, int n)
{
    int l;
    return EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, 0) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1
        && EVP_CipherUpdate(c, NULL, &l, aad, sizeof aad) == 1
        && EVP_CipherUpdate(c, out, &l, ct, n) == 1
        && EVP_CipherFinal_ex(c, out, &l) == 1;
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: %s CIPHER BYTES ITERATIONS seal|open\n", argv[0]); return 2; }
    int n = atoi(argv[2]), iterations = atoi(argv[3]), opening = strcmp(argv[4], "open") == 0;
    if (n < 0 || n > (int)sizeof pt || iterations <= 0) return 2;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, argv[1], NULL);
    EVP_CIPHER_CTX *enc = EVP_CIPHER_CTX_new(), *dec = EVP_CIPHER_CTX_new();
    if (cipher == NULL || enc == NULL || dec == NULL) return 1;
    for (size_t i = 0; i < sizeof key; i++) key[i] = (unsigned char)(i * 7 + 1);
    for (int i = 0; i < n; i++) pt[i] = (unsigned char)i;
    if (EVP_CipherInit_ex(enc, cipher, NULL, key, NULL, 1) != 1 || EVP_CipherInit_ex(dec, cipher, NULL, key, NULL, 0) != 1) return 1;
    if (!seal(enc, n) || !open_packet(dec, n) || memcmp(pt, out, n) != 0) { fprintf(stderr, "round trip failed\n"); return 1; }
    double start = cpu_seconds();
    for (int i = 0; i < iterations; i++)
        if (!(opening ? open_packet(dec, n) : seal(enc, n))) return 1;
    printf("%.1f\n", (cpu_seconds() - start) / iterations * 1e9);
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
    EVP_CIPHER_free(cipher);
    return 0;
}
