// A program that insists on /etc/legacy-app/app.conf: it prints its greeting and exits with the
// status the file names ("exit = N"), or 2 when it cannot read the file.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

int main() {
  std::ifstream conf("/etc/legacy-app/app.conf");
  if (!conf) {
    std::perror("legacy_app: /etc/legacy-app/app.conf");
    return 2;
  }
  int status = 0;
  for (std::string line; std::getline(conf, line);) {
    if (line.rfind("greeting = ", 0) == 0) std::cout << line.substr(11) << '\n';
    if (line.rfind("exit = ", 0) == 0) status = std::stoi(line.substr(7));
  }
  return status;
}
