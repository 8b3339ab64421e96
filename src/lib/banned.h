#ifndef SRETOOLS_BANNED_H
#define SRETOOLS_BANNED_H
/*
 * Functions that are too easy to misuse.  Include this header last in every .c file,
 * after the system headers, so that a use of one of these fails to compile.
 * Use snprintf, memcpy with a checked length, gmtime_r/localtime_r, strtol.
 */
#define SRETOOLS_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) SRETOOLS_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SRETOOLS_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SRETOOLS_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SRETOOLS_BANNED(strncat)
#undef sprintf
#define sprintf(...) SRETOOLS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SRETOOLS_BANNED(vsprintf)
#undef gets
#define gets(x) SRETOOLS_BANNED(gets)
#undef gmtime
#define gmtime(t) SRETOOLS_BANNED(gmtime)
#undef localtime
#define localtime(t) SRETOOLS_BANNED(localtime)
#undef ctime
#define ctime(t) SRETOOLS_BANNED(ctime)
#undef asctime
#define asctime(t) SRETOOLS_BANNED(asctime)
#undef strtok
#define strtok(x, y) SRETOOLS_BANNED(strtok)
#undef atoi
#define atoi(x) SRETOOLS_BANNED(atoi)
#undef mktemp
#define mktemp(x) SRETOOLS_BANNED(mktemp)
#undef tmpnam
#define tmpnam(x) SRETOOLS_BANNED(tmpnam)

#endif
