#include "embed/generator.hpp"

int main(int argc, char** argv) {
  return strata::embed::run(argc, argv);
}
